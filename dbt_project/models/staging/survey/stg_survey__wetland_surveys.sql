with source as (
    select * from {{ source('raw_survey', 'wetland_surveys') }}
    where {{ not_superseded() }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by parcel_id, survey_year order by _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        survey_id,
        parcel_id,
        survey_year,
        wetland_class,
        wetland_area_mu,
        protected_area_mu,
        protection_type,
        management_status,
        management_status_since,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
