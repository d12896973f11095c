with source as (
    select * from {{ source('raw_disturbance', 'fire_reports') }}
    where {{ not_superseded() }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by report_id order by _ingested_at desc, _source_row desc) = 1
),

final as (
    select
        report_id,
        county_code,
        parcel_id,
        start_date,
        end_date,
        year(start_date) as fire_year,
        lon,
        lat,
        burned_area_ha,
        vegetation_type,
        cause,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
