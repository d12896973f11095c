with source as (
    select * from {{ source('raw_weather', 'weather_daily') }}
    where {{ not_superseded() }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by station_id, obs_date, obs_basis
        order by _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        station_id,
        obs_date,
        obs_basis,
        station_name,
        lat,
        lon,
        elevation_m,
        temp_c,
        rh_pct,
        wind_kmh,
        precip_mm,
        precip_flag,
        source as reader,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
