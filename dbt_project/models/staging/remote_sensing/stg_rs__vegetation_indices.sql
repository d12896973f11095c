with source as (
    select * from {{ source('raw_remote_sensing', 'vegetation_indices') }}
    where {{ not_superseded() }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by parcel_id, composite_date order by _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        parcel_id,
        composite_date,
        year(composite_date) as composite_year,
        ndvi,
        evi,
        quality as pixel_reliability,
        quality = 0 as is_good_quality,
        _source_file as source_file,
        _source_sha256 as source_sha256,
    from latest
)

select * from final
