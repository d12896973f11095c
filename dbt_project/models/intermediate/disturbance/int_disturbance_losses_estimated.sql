-- Carbon lost to disturbances, one row per fire or pest report (IPCC 2006 V4 Ch2 Eq 2.14:
-- L = A x B_W x (1 + R) x CF x fd, in t C and t CO2e; see reference s4.1 and s4.4).
-- B_W x (1 + R) x CF is the plot-measured carbon density (t C/ha, above + below ground) of the
-- parcel's stratum at the nearest inventory cycle (the latest at or before the report year, else
-- the first). Routes (seed_fire_vegetation_map.co2_route, seed_pest_loss_fractions.loss_route):
--   stock_density_fd  forest fire: burned ha x density x fd (forest_wildfire)
--   fuel_consumed_cf  shrub fire, or a forest fire on a parcel without a plot estimate: burned ha x
--                     M_B*C_f (Table 2.4, t d.m./ha combusted) x CF
--   dead_tree_count   pest with reported dead trees: n x mean live-tree carbon of the host species
--                     in the plots (fd = 1 per dead tree; below ground from the root allometry)
--   area_fd           pest without a count: affected ha x density x fd(severity)
--   none              defoliators without mortality (fd = 0), grassland fires (CO2 not reported)
--   soc_management    grassland rodents: a soil-carbon management effect, not estimated here
-- Uncertainty (95 % half-width, %) of each input, combined by Eq 3.1 into loss_u95_pct.
with fires as (
    select * from {{ ref('stg_reports__fires') }}
),

pests as (
    select * from {{ ref('stg_reports__pests') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

forest_estimates as (
    select * from {{ ref('int_forest_parcels_estimated') }}
),

trees as (
    select * from {{ ref('int_trees_biomass_estimated') }}
),

species as (
    select * from {{ ref('seed_species') }}
),

vegetation_map as (
    select * from {{ ref('seed_fire_vegetation_map') }}
),

loss_fractions as (
    select * from {{ ref('seed_pest_loss_fractions') }}
),

pest_classes as (
    select pest, any_value(land_class) as land_class
    from {{ ref('seed_pest_hosts') }}
    group by pest
),

factors as (
    select * from {{ ref('int_factors_uncertainty') }}
),

reports as (
    select
        fires.report_id,
        'fire' as cause,
        fires.vegetation_type as agent,
        cast(null as varchar) as severity,
        cast(null as varchar) as host_species,
        fires.fire_year as year,
        fires.parcel_id,
        fires.county_code as reported_county_code,
        fires.burned_area_ha as affected_area_ha,
        cast(null as integer) as dead_trees,
        vegetation_map.co2_route as route,
        vegetation_map.fd_stratum,
        vegetation_map.fuel_stratum,
        vegetation_map.cf_stratum as fallback_cf_stratum,
        vegetation_map.land_class as mapped_land_class,
    from fires
    inner join vegetation_map on fires.vegetation_type = vegetation_map.vegetation_type
    union all
    select
        pests.report_id,
        'pest',
        pests.pest,
        pests.severity,
        pests.host,
        pests.report_year,
        pests.parcel_id,
        pests.county_code,
        pests.affected_area_mu / 15.0,
        pests.dead_trees,
        loss_fractions.loss_route,
        loss_fractions.fd_stratum,
        null,
        null,
        pest_classes.land_class,
    from pests
    inner join loss_fractions
        on pests.pest = loss_fractions.pest and pests.severity = loss_fractions.severity
    left join pest_classes on pests.pest = pest_classes.pest
),

nearest_stock as (
    select
        reports.report_id,
        forest_estimates.inventory_year,
        forest_estimates.stratum_id,
        forest_estimates.carbon_t_per_ha_mean,
        forest_estimates.carbon_t_per_ha_se,
        forest_estimates.cf_stratum,
    from reports
    inner join forest_estimates on reports.parcel_id = forest_estimates.parcel_id
    qualify row_number() over (
        partition by reports.report_id
        order by (forest_estimates.inventory_year <= reports.year) desc,
            abs(reports.year - forest_estimates.inventory_year)
    ) = 1
),

tree_means as (
    select
        species,
        inventory_year,
        count(*) as n_trees,
        avg(carbon_kg) as carbon_kg_mean,
        coalesce(stddev_samp(carbon_kg) / sqrt(count(*)), 0) as carbon_kg_se,
    from trees
    group by species, inventory_year
),

nearest_tree_mean as (
    select
        reports.report_id,
        tree_means.inventory_year,
        tree_means.n_trees,
        tree_means.carbon_kg_mean,
        tree_means.carbon_kg_se,
    from reports
    inner join tree_means on reports.host_species = tree_means.species
    where reports.route = 'dead_tree_count' and reports.dead_trees is not null
    qualify row_number() over (
        partition by reports.report_id
        order by (tree_means.inventory_year <= reports.year) desc,
            abs(reports.year - tree_means.inventory_year)
    ) = 1
),

routed as (
    -- the route actually used once the data available for the report are known
    select
        reports.*,
        case
            when reports.route = 'stock_density_fd' and nearest_stock.report_id is null then 'fuel_consumed_cf'
            when reports.route = 'dead_tree_count' and nearest_tree_mean.report_id is null then 'area_fd'
            else reports.route
        end as loss_route,
        nearest_stock.inventory_year as stock_cycle_year,
        nearest_stock.stratum_id,
        nearest_stock.carbon_t_per_ha_mean,
        nearest_stock.carbon_t_per_ha_se,
        nearest_stock.cf_stratum as stock_cf_stratum,
        nearest_tree_mean.inventory_year as tree_cycle_year,
        nearest_tree_mean.n_trees as tree_mean_n,
        nearest_tree_mean.carbon_kg_mean as mean_tree_carbon_kg,
        nearest_tree_mean.carbon_kg_se as mean_tree_carbon_se_kg,
        species.cf_stratum as host_cf_stratum,
    from reports
    left join nearest_stock on reports.report_id = nearest_stock.report_id
    left join nearest_tree_mean on reports.report_id = nearest_tree_mean.report_id
    left join species on reports.host_species = species.species
),

estimated as (
    select
        routed.*,
        fd.value as fd,
        fd.u95_pct as fd_u95_pct,
        fuel.value as fuel_consumed_t_dm_per_ha,
        fuel.u95_pct as fuel_u95_pct,
        case routed.loss_route
            when 'stock_density_fd' then routed.stock_cf_stratum
            when 'area_fd' then routed.stock_cf_stratum
            when 'dead_tree_count' then routed.host_cf_stratum
            when 'fuel_consumed_cf' then routed.fallback_cf_stratum
        end as cf_stratum,
        case routed.loss_route
            when 'stock_density_fd' then routed.affected_area_ha * routed.carbon_t_per_ha_mean * fd.value
            when 'area_fd' then routed.affected_area_ha * routed.carbon_t_per_ha_mean * fd.value
            when 'dead_tree_count' then routed.dead_trees * routed.mean_tree_carbon_kg / 1000.0
            when 'fuel_consumed_cf' then routed.affected_area_ha * fuel.value * cf_fallback.value
            else 0.0
        end as loss_c_t_raw,
        case
            when routed.loss_route in ('stock_density_fd', 'area_fd')
                then 100.0 * 1.96 * routed.carbon_t_per_ha_se / nullif(routed.carbon_t_per_ha_mean, 0)
            when routed.loss_route = 'dead_tree_count'
                then 100.0 * 1.96 * routed.mean_tree_carbon_se_kg / nullif(routed.mean_tree_carbon_kg, 0)
        end as sampling_u95_pct,
        case
            when routed.loss_route in ('stock_density_fd', 'area_fd')
                then 'forest_stock|' || routed.stratum_id || '|' || routed.stock_cycle_year
            when routed.loss_route = 'dead_tree_count'
                then 'tree_mean|' || routed.host_species || '|' || routed.tree_cycle_year
        end as sampling_key,
    from routed
    left join factors as fd
        on fd.parameter = 'disturbance_fd' and fd.stratum = routed.fd_stratum
        and routed.loss_route in ('stock_density_fd', 'area_fd')
    left join factors as fuel
        on fuel.parameter = 'fire_fuel_consumed' and fuel.stratum = routed.fuel_stratum
        and routed.loss_route = 'fuel_consumed_cf'
    left join factors as cf_fallback
        on cf_fallback.parameter = 'carbon_fraction_biomass' and cf_fallback.stratum = routed.fallback_cf_stratum
),

final as (
    select
        estimated.report_id,
        estimated.cause,
        estimated.agent,
        estimated.severity,
        estimated.host_species,
        estimated.year,
        estimated.parcel_id,
        coalesce(parcels.county_code, estimated.reported_county_code) as county_code,
        parcels.zone_id,
        coalesce(parcels.land_class, estimated.mapped_land_class) as land_class,
        estimated.loss_route,
        estimated.affected_area_ha,
        estimated.dead_trees,
        estimated.fd,
        estimated.fuel_stratum,
        estimated.fuel_consumed_t_dm_per_ha,
        estimated.stock_cycle_year,
        estimated.stratum_id,
        estimated.carbon_t_per_ha_mean as carbon_density_t_c_per_ha,
        estimated.tree_cycle_year,
        estimated.mean_tree_carbon_kg,
        -- rounded to the kilogram: reproducible by hand, far below the factors' uncertainty
        round(estimated.loss_c_t_raw, 6) as loss_c_t,
        round(estimated.loss_c_t_raw * {{ factor('c_to_co2', 'all') }}, 6) as loss_co2e_t,
        estimated.sampling_key,
        coalesce(estimated.sampling_u95_pct, 0) as sampling_u95_pct,
        estimated.cf_stratum,
        coalesce(cf.u95_pct, 0) as cf_u95_pct,
        estimated.fd_stratum,
        coalesce(estimated.fd_u95_pct, 0) as fd_u95_pct,
        coalesce(estimated.fuel_u95_pct, 0) as fuel_u95_pct,
        -- IPCC Approach 1, Eq 3.1 (a product of independent inputs)
        sqrt(
            coalesce(estimated.sampling_u95_pct, 0) ^ 2 + coalesce(cf.u95_pct, 0) ^ 2
            + coalesce(estimated.fd_u95_pct, 0) ^ 2 + coalesce(estimated.fuel_u95_pct, 0) ^ 2
        ) as loss_u95_pct,
    from estimated
    left join parcels on estimated.parcel_id = parcels.parcel_id
    left join factors as cf
        on cf.parameter = 'carbon_fraction_biomass' and cf.stratum = estimated.cf_stratum
        and estimated.loss_route in ('stock_density_fd', 'area_fd', 'dead_tree_count', 'fuel_consumed_cf')
)

select * from final
