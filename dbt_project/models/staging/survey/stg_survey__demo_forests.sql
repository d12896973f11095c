with source as (
    select * from {{ source('raw_survey', 'demo_forests') }}
    where {{ not_superseded() }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by record_id order by _ingested_at desc, _source_row desc) = 1
),

final as (
    select
        record_id,
        county_code,
        year as planting_year,
        site_name,
        area_mu,
        species,
        planting_date,
        zone_id,
        sponsor,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
