with source as (
    select * from {{ source('raw_survey', 'parcels') }}
    where {{ not_superseded() }}
),

latest as (
    -- a parcel re-surveyed or re-uploaded: the newest survey, then the newest upload, wins
    select *
    from source
    qualify row_number() over (
        partition by parcel_id order by survey_year desc, _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        parcel_id,
        county_code,
        zone_id,
        land_class,
        forest_type,
        origin,
        dominant_species,
        grassland_type,
        grassland_management,
        management_input,
        wetland_class,
        management_status,
        management_status_since,
        sink_project_id,
        survey_year,
        area_mu,
        area_mu / 15.0 as area_ha,
        centroid_lon,
        centroid_lat,
        geometry_wkt,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
        _ingested_at as ingested_at,
    from latest
)

select * from final
