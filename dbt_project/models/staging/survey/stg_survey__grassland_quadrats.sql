with source as (
    select * from {{ source('raw_survey', 'grassland_quadrats') }}
    where {{ not_superseded() }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by quadrat_id, survey_date order by _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        quadrat_id,
        parcel_id,
        survey_date,
        year(survey_date) as survey_year,
        grassland_type,
        quadrat_area_m2,
        lon,
        lat,
        cover_pct,
        height_cm,
        fresh_mass_g,
        dry_mass_g,
        is_in_parcel,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
