-- Carbon stock per parcel and inventory year (forest: tree plots by species allometry or, for
-- species without an own equation and with a reported stem volume, volume x BCEF; stratified; grassland:
-- quadrat clipping, stratified, below-ground by the IPCC root-to-shoot ratio). CO2e = C x 44/12.
with forest as (
    select * from {{ ref('int_forest_parcels_estimated') }}
),

grassland as (
    select * from {{ ref('int_grassland_parcels_estimated') }}
),

grass_r as (
    select value from {{ ref('seed_carbon_factors') }}
    where parameter = 'root_shoot' and stratum = 'grassland_cold_temperate_dry'
),

grass_cf as (
    select value from {{ ref('seed_carbon_factors') }}
    where parameter = 'carbon_fraction_grass' and stratum = 'grassland'
),

c_to_co2 as (
    select value from {{ ref('seed_carbon_factors') }} where parameter = 'c_to_co2' and stratum = 'all'
),

forest_stock as (
    select
        parcel_id,
        inventory_year,
        county_code,
        zone_id,
        land_class,
        stratum_id,
        stratum_level,
        area_mu,
        area_ha,
        n_plots as n_sample_units,
        sampling_df,
        t_975 as sampling_t_975,
        agb_t_per_ha_mean * area_ha as agb_t_dm,
        bgb_t_per_ha_mean * area_ha as bgb_t_dm,
        carbon_t_per_ha_mean * area_ha as carbon_t,
        carbon_t_per_ha_mean as carbon_density_t_c_per_ha,
        carbon_t_per_ha_se as carbon_density_se_t_c_per_ha,
        volume_m3_per_ha_mean * area_ha as volume_m3,
        volume_table_m3_per_ha_mean * area_ha as volume_table_m3,
        carbon_volume_bcef_t_per_ha_mean * area_ha as carbon_volume_bcef_t,
        'plot_allometry_stratified' as method,
        parcel_source_sha256,
    from forest
),

grassland_stock as (
    select
        grassland.parcel_id,
        grassland.survey_year as inventory_year,
        grassland.county_code,
        grassland.zone_id,
        grassland.land_class,
        grassland.stratum_id,
        grassland.stratum_level,
        grassland.area_mu,
        grassland.area_ha,
        grassland.n_quadrats as n_sample_units,
        grassland.sampling_df,
        grassland.t_975 as sampling_t_975,
        grassland.agb_t_per_ha_mean * grassland.area_ha as agb_t_dm,
        grassland.agb_t_per_ha_mean * grass_r.value * grassland.area_ha as bgb_t_dm,
        grassland.agb_t_per_ha_mean * (1 + grass_r.value) * grass_cf.value * grassland.area_ha as carbon_t,
        grassland.agb_t_per_ha_mean * (1 + grass_r.value) * grass_cf.value as carbon_density_t_c_per_ha,
        grassland.agb_t_per_ha_se * (1 + grass_r.value) * grass_cf.value as carbon_density_se_t_c_per_ha,
        cast(null as double) as volume_m3,
        cast(null as double) as volume_table_m3,
        cast(null as double) as carbon_volume_bcef_t,
        'quadrat_clipping_stratified' as method,
        grassland.parcel_source_sha256,
    from grassland
    cross join grass_r
    cross join grass_cf
),

unioned as (
    select * from forest_stock
    union all
    select * from grassland_stock
),

final as (
    select
        unioned.parcel_id,
        unioned.inventory_year,
        unioned.county_code,
        unioned.zone_id,
        unioned.land_class,
        unioned.stratum_id,
        unioned.stratum_level,
        unioned.method,
        unioned.n_sample_units,
        unioned.sampling_df,
        unioned.sampling_t_975,
        {{ measure('unioned.area_mu', 4) }} as area_mu,
        {{ measure('unioned.area_ha', 4) }} as area_ha,
        {{ measure('unioned.agb_t_dm') }} as agb_t_dm,
        {{ measure('unioned.bgb_t_dm') }} as bgb_t_dm,
        {{ measure('unioned.agb_t_dm') }} + {{ measure('unioned.bgb_t_dm') }} as biomass_t_dm,
        {{ measure('unioned.carbon_t') }} as carbon_t,
        {{ measure('unioned.carbon_t') }} * c_to_co2.value as co2e_t,
        {{ measure('unioned.carbon_density_t_c_per_ha', 4) }} as carbon_density_t_c_per_ha,
        {{ measure('unioned.carbon_density_se_t_c_per_ha', 4) }} as carbon_density_se_t_c_per_ha,
        -- 95 % half-width: Student's t at the stratum estimate's df x SE x area
        {{ measure('unioned.sampling_t_975 * unioned.carbon_density_se_t_c_per_ha * unioned.area_ha') }} as carbon_u95_t,
        {{ measure('unioned.volume_m3') }} as volume_m3,
        {{ measure('unioned.volume_table_m3') }} as volume_table_m3,
        {{ measure('unioned.carbon_volume_bcef_t') }} as carbon_volume_bcef_t,
        unioned.parcel_source_sha256,
    from unioned
    cross join c_to_co2
)

select * from final
