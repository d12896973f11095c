with source as (
    select * from {{ source('monitoring', 'fire_danger_station_daily') }}
),

final as (
    select
        station_id,
        obs_date,
        station_name,
        lat,
        lon,
        source as reader,
        obs_basis,
        temp_c,
        rh_pct,
        wind_kmh,
        precip_mm,
        precip_flag,
        is_rated,
        missing_inputs,
        ffmc,
        dmc,
        dc,
        isi,
        bui,
        fwi,
        dsr,
        danger_class,
        codes_started_on,
        is_restart,
        is_fire_season,
        is_closure_period,
        source_sha256,
        source_file,
    from source
)

select * from final
