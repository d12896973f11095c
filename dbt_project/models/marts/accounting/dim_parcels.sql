-- Every parcel (小班) with its attributes, centroid and latest plot-based estimate. The polygon
-- itself stays in the raw layer (stg_survey__parcels.geometry_wkt): marts carry the centroid only.
with parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

stock as (
    select * from {{ ref('fct_carbon_stock') }}
),

latest_stock as (
    select *
    from stock
    qualify row_number() over (partition by parcel_id order by inventory_year desc) = 1
),

final as (
    select
        parcels.parcel_id,
        parcels.county_code,
        parcels.zone_id,
        parcels.land_class,
        parcels.forest_type,
        parcels.origin,
        parcels.dominant_species,
        parcels.grassland_type,
        parcels.wetland_class,
        parcels.sink_project_id,
        parcels.sink_project_id is not null as is_in_sink_project,
        parcels.survey_year,
        {{ measure('parcels.area_mu', 4) }} as area_mu,
        {{ measure('parcels.area_ha', 4) }} as area_ha,
        round(parcels.centroid_lon, 6) as centroid_lon,
        round(parcels.centroid_lat, 6) as centroid_lat,
        latest_stock.inventory_year as latest_estimate_year,
        latest_stock.stratum_id as latest_stratum_id,
        latest_stock.carbon_density_t_c_per_ha as latest_carbon_density_t_c_per_ha,
        latest_stock.carbon_density_se_t_c_per_ha as latest_carbon_density_se_t_c_per_ha,
        parcels.source_sha256 as parcel_source_sha256,
    from parcels
    left join latest_stock on parcels.parcel_id = latest_stock.parcel_id
)

select * from final
