with source as (
    select * from {{ source('raw_disturbance', 'pest_reports') }}
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
        report_date,
        year(report_date) as report_year,
        pest,
        host,
        affected_area_mu,
        severity,
        dead_trees,
        damaged_rate_pct,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
