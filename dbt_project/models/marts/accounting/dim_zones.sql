-- The 22 carbon-sink development zones (12 forest, 5 grassland, 5 wetland) with their planned
-- area and the area of the parcels assigned to them.
with zones as (
    select * from {{ ref('seed_zones') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

parcel_area as (
    select zone_id, sum(area_mu) as parcel_area_mu, count(*) as n_parcels
    from parcels
    where zone_id is not null
    group by zone_id
),

final as (
    select
        zones.zone_id,
        zones.zone_name_zh,
        zones.zone_name_en,
        zones.land_class,
        zones.county_code,
        zones.planned_area_mu,
        {{ measure('coalesce(parcel_area.parcel_area_mu, 0)', 4) }} as parcel_area_mu,
        coalesce(parcel_area.n_parcels, 0) as n_parcels,
        zones.source as area_source,
        zones.source_status as area_source_status,
    from zones
    left join parcel_area on zones.zone_id = parcel_area.zone_id
)

select * from final
