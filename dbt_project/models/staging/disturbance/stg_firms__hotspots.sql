with source as (
    select * from {{ source('raw_disturbance', 'fire_hotspots') }}
    where {{ not_superseded() }}
),

latest as (
    -- one row per detection; a standard (archive) row supersedes the near-real-time row
    select *
    from source
    qualify row_number() over (
        partition by instrument, satellite, round(latitude, 4), round(longitude, 4), acq_date, acq_time_utc
        order by is_nrt asc, _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        md5(concat_ws('|', instrument, satellite, round(latitude, 4), round(longitude, 4), acq_date, acq_time_utc))
            as hotspot_id,
        latitude,
        longitude,
        acq_date,
        acq_time_utc,
        instrument,
        satellite,
        confidence_raw,
        confidence_pct,
        version,
        brightness_k,
        brightness2_k,
        frp_mw,
        daynight,
        fire_type,
        coalesce(fire_type = 2, false) as is_static_source,
        is_nrt,
        county_code,
        parcel_id,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
