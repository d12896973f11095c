with areas as (
    select * from {{ ref('stg_monitoring__fire_danger_areas') }}
),

classes as (
    select * from {{ ref('seed_fire_danger_classes') }}
),

stations_reporting as (
    select
        obs_date,
        count(*) as n_stations_rated_city,
    from {{ ref('stg_monitoring__fire_danger_stations') }}
    where is_rated
    group by obs_date
),

rated as (
    select
        areas.*,
        classes.class_zh as danger_class_zh,
        classes.name_zh as danger_name_zh,
        classes.name_en as danger_name_en,
        coalesce(classes.is_alert and areas.is_fire_season, false) as is_alert_level,
        coalesce(stations_reporting.n_stations_rated_city, 0) as n_stations_rated_city,
    from areas
    left join classes on areas.danger_class = classes.danger_class
    left join stations_reporting on areas.obs_date = stations_reporting.obs_date
),

final as (
    select
        area_kind || ':' || area_id || ':' || strftime(obs_date, '%Y-%m-%d') as fire_danger_id,
        area_kind,
        area_id,
        area_name_zh,
        county_code,
        obs_date,
        is_rated,
        {{ measure('fwi', 1) }} as fwi,
        danger_class,
        danger_class_zh,
        danger_name_zh,
        danger_name_en,
        is_fire_season,
        is_closure_period,
        is_alert_level,
        interpolation_method,
        n_stations,
        station_ids,
        {{ measure('nearest_station_km', 1) }} as nearest_station_km,
        n_stations_rated_city,
        centroid_lon,
        centroid_lat,
        centroid_basis,
        source_sha256s,
    from rated
)

select * from final
