with source as (
    select * from {{ source('monitoring', 'fire_danger_area_daily') }}
),

final as (
    select
        area_kind,
        area_id,
        area_name_zh,
        county_code,
        centroid_lon,
        centroid_lat,
        centroid_basis,
        obs_date,
        is_rated,
        fwi,
        danger_class,
        method as interpolation_method,
        n_stations,
        station_ids,
        nearest_station_km,
        source_sha256s,
        is_fire_season,
        is_closure_period,
    from source
)

select * from final
