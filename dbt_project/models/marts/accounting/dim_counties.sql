with counties as (
    select * from {{ ref('seed_counties') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

land as (
    select
        county_code,
        sum(area_mu) as parcel_area_mu,
        sum(area_mu) filter (where land_class = 'forest') as forest_area_mu,
        sum(area_mu) filter (where land_class = 'grassland') as grassland_area_mu,
        sum(area_mu) filter (where land_class = 'wetland') as wetland_area_mu,
    from parcels
    group by county_code
),

final as (
    select
        counties.county_code,
        counties.county_name_zh,
        counties.county_name_en,
        counties.area_km2,
        {{ measure('coalesce(land.parcel_area_mu, 0)', 4) }} as parcel_area_mu,
        {{ measure('coalesce(land.forest_area_mu, 0)', 4) }} as forest_area_mu,
        {{ measure('coalesce(land.grassland_area_mu, 0)', 4) }} as grassland_area_mu,
        {{ measure('coalesce(land.wetland_area_mu, 0)', 4) }} as wetland_area_mu,
    from counties
    left join land on counties.county_code = land.county_code
)

select * from final
