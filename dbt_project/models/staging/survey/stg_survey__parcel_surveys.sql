-- Every survey of every parcel (one row per parcel x survey year; the newest upload of a survey
-- year wins), for what changes between surveys: the grassland management regime of IPCC 2019
-- V4 Ch6 Table 6.2, the land class and the sink-project enrolment (the yearly plan indicators).
-- stg_survey__parcels keeps only the latest survey of each parcel.
with source as (
    select * from {{ source('raw_survey', 'parcels') }}
    where {{ not_superseded() }}
),

latest_upload as (
    select *
    from source
    qualify row_number() over (
        partition by parcel_id, survey_year order by _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        parcel_id,
        survey_year,
        county_code,
        zone_id,
        land_class,
        grassland_type,
        grassland_management,
        management_input,
        sink_project_id,
        area_mu,
        area_mu / 15.0 as area_ha,
        wetland_class,
        management_status,
        management_status_since,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest_upload
)

select * from final
