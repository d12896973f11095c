-- Carbon lost to disturbances, one row per fire or pest report, in t C and t CO2e. A fire is a
-- report or an unreported FIRMS fire event (int_fire_loss_sources; loss_basis fire_report |
-- fire_event, report_id 'fire_event:<event_id>' for an event; pests: pest_report).
-- Fires: the CO2 of IPCC 2006 V4 Ch2 Eq 2.27 (int_fire_emissions_estimated: A x M_B x C_f x
-- G_ef(CO2), the same fuel as the fire's CH4 and N2O; M_B from our plots where they exist);
-- loss_c_t = CO2 / (44/12). Pests: Eq 2.14, L = A x B_W x (1 + R) x CF x fd, where B_W x (1 + R) x
-- CF is the plot-measured carbon density (t C/ha, above + below ground) of the parcel's stratum at
-- the nearest inventory cycle (the latest at or before the report year, else the first), and fd
-- the fraction of biomass lost per disturbance type and severity (seed_pest_loss_fractions ->
-- seed_carbon_factors.disturbance_fd, each row with its source). Routes:
--   fire_eq_2_27      forest fire: CO2 of the fuel burnt (Eq 2.27)
--   not_reported      grassland fire (Table 2.5 note: regrowth balances it) and shrub fire (shrub
--                     biomass is outside the account on both sides: its growth is not measured)
--   dead_tree_count   pest with reported dead trees: n x mean live-tree carbon of the host species
--                     in the plots (fd = 1 per dead tree; below ground from the root allometry)
--   area_fd           pest without a count: affected ha x density x fd(severity)
--   none              defoliators without mortality (fd = 0)
--   soc_management    grassland rodents: a soil-carbon management effect, not estimated here
-- Uncertainty (95 % half-width, %) of each input, combined by Eq 3.1 into loss_u95_pct (an
-- event's area too: area_u95_pct, seed fire_event_area_ratio). The
-- sampling half-width is Student's t at the estimate's df x its SE (issue #19 item 2, as for every
-- stratum estimate): the stock stratum's (int_forest_parcels_estimated.t_975), or the tree mean's
-- (n - 1 trees). A tree mean from one tree of its species has no SE of its own: it takes the
-- collapsed-strata SE of macro stratum_estimates (the SD of every live tree of that cycle, all
-- species, with that group's df), never SE = 0; a cycle with one tree gives no tree mean and the
-- report takes the area route. sampling_df / sampling_t_975 are kept for the Monte Carlo
-- (int_sink_mc_terms draws a t deviate with that df).
with fires as (
    select * from {{ ref('int_fire_emissions_estimated') }}
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
        pests.report_id,
        pests.pest as agent,
        pests.severity,
        pests.host as host_species,
        pests.report_year as year,
        pests.parcel_id,
        pests.county_code as reported_county_code,
        pests.affected_area_mu / 15.0 as affected_area_ha,
        pests.dead_trees,
        loss_fractions.loss_route as route,
        loss_fractions.fd_stratum,
        pest_classes.land_class as mapped_land_class,
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
        forest_estimates.sampling_df,
        forest_estimates.t_975,
        forest_estimates.cf_stratum,
    from reports
    inner join forest_estimates on reports.parcel_id = forest_estimates.parcel_id
    qualify row_number() over (
        partition by reports.report_id
        order by (forest_estimates.inventory_year <= reports.year) desc,
            abs(reports.year - forest_estimates.inventory_year)
    ) = 1
),

species_trees as (
    select
        species,
        inventory_year,
        count(*) as n_trees,
        avg(carbon_kg) as carbon_kg_mean,
        stddev_samp(carbon_kg) / sqrt(count(*)) as carbon_kg_se,
    from trees
    group by species, inventory_year
),

-- the collapsed group of a species with one tree: every live tree of the cycle
cycle_trees as (
    select inventory_year, count(*) as n_trees, stddev_samp(carbon_kg) as carbon_kg_sd,
    from trees
    group by inventory_year
),

tree_means_se as (
    select
        species_trees.species,
        species_trees.inventory_year,
        species_trees.n_trees,
        species_trees.carbon_kg_mean,
        species_trees.n_trees = 1 as is_se_collapsed,
        case
            when species_trees.n_trees > 1 then species_trees.carbon_kg_se
            else cycle_trees.carbon_kg_sd / sqrt(species_trees.n_trees)
        end as carbon_kg_se,
        case
            when species_trees.n_trees > 1 then species_trees.n_trees - 1
            when cycle_trees.n_trees > 1 then cycle_trees.n_trees - 1
        end as sampling_df,
    from species_trees
    inner join cycle_trees on species_trees.inventory_year = cycle_trees.inventory_year
),

tree_means as (
    select tree_means_se.*, t_quantiles.t_975,
    from tree_means_se
    asof left join {{ ref('seed_t_quantiles') }} as t_quantiles
        on tree_means_se.sampling_df >= t_quantiles.df
    -- a mean without any sampling error (one tree in the whole cycle) is not used
    where tree_means_se.sampling_df is not null
),

nearest_tree_mean as (
    select
        reports.report_id,
        tree_means.inventory_year,
        tree_means.n_trees,
        tree_means.carbon_kg_mean,
        tree_means.carbon_kg_se,
        tree_means.sampling_df,
        tree_means.t_975,
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
            when reports.route = 'dead_tree_count' and nearest_tree_mean.report_id is null then 'area_fd'
            else reports.route
        end as loss_route,
        nearest_stock.inventory_year as stock_cycle_year,
        nearest_stock.stratum_id,
        nearest_stock.carbon_t_per_ha_mean,
        nearest_stock.carbon_t_per_ha_se,
        nearest_stock.sampling_df as stock_sampling_df,
        nearest_stock.t_975 as stock_t_975,
        nearest_stock.cf_stratum as stock_cf_stratum,
        nearest_tree_mean.inventory_year as tree_cycle_year,
        nearest_tree_mean.n_trees as tree_mean_n,
        nearest_tree_mean.carbon_kg_mean as mean_tree_carbon_kg,
        nearest_tree_mean.carbon_kg_se as mean_tree_carbon_se_kg,
        nearest_tree_mean.sampling_df as tree_sampling_df,
        nearest_tree_mean.t_975 as tree_t_975,
        species.cf_stratum as host_cf_stratum,
    from reports
    left join nearest_stock on reports.report_id = nearest_stock.report_id
    left join nearest_tree_mean on reports.report_id = nearest_tree_mean.report_id
    left join species on reports.host_species = species.species
),

pest_losses as (
    select
        routed.report_id,
        'pest' as cause,
        'pest_report' as loss_basis,
        cast(null as varchar) as event_id,
        routed.agent,
        routed.severity,
        routed.host_species,
        routed.year,
        routed.parcel_id,
        routed.reported_county_code,
        routed.mapped_land_class,
        routed.loss_route,
        routed.affected_area_ha,
        routed.dead_trees,
        fd.value as fd,
        routed.stock_cycle_year,
        routed.stratum_id,
        routed.carbon_t_per_ha_mean,
        routed.tree_cycle_year,
        routed.mean_tree_carbon_kg,
        cast(null as varchar) as fuel_source,
        cast(null as double) as fuel_mass_t_dm_per_ha,
        cast(null as double) as combustion_factor,
        case routed.loss_route
            when 'area_fd' then routed.affected_area_ha * routed.carbon_t_per_ha_mean * fd.value
            when 'dead_tree_count' then routed.dead_trees * routed.mean_tree_carbon_kg / 1000.0
            else 0.0
        end as loss_c_t_raw,
        case
            when routed.loss_route = 'area_fd'
                then 100.0 * routed.stock_t_975 * routed.carbon_t_per_ha_se / nullif(routed.carbon_t_per_ha_mean, 0)
            when routed.loss_route = 'dead_tree_count'
                then 100.0 * routed.tree_t_975 * routed.mean_tree_carbon_se_kg / nullif(routed.mean_tree_carbon_kg, 0)
        end as sampling_u95_pct,
        case routed.loss_route
            when 'area_fd' then routed.stock_sampling_df
            when 'dead_tree_count' then routed.tree_sampling_df
        end as sampling_df,
        case routed.loss_route
            when 'area_fd' then routed.stock_t_975
            when 'dead_tree_count' then routed.tree_t_975
        end as sampling_t_975,
        case
            when routed.loss_route = 'area_fd'
                then 'forest_stock|' || routed.stratum_id || '|' || routed.stock_cycle_year
            when routed.loss_route = 'dead_tree_count'
                then 'tree_mean|' || routed.host_species || '|' || routed.tree_cycle_year
        end as sampling_key,
        case routed.loss_route
            when 'area_fd' then routed.stock_cf_stratum
            when 'dead_tree_count' then routed.host_cf_stratum
        end as cf_stratum,
        routed.fd_stratum,
        fd.u95_pct as fd_u95_pct,
        cast(null as varchar) as fuel_stratum,
        cast(null as double) as fuel_u95_pct,
        cast(null as varchar) as combustion_stratum,
        cast(null as double) as combustion_u95_pct,
        cast(null as varchar) as ef_stratum,
        cast(null as double) as ef_u95_pct,
        cast(null as varchar) as area_stratum,
        cast(null as double) as area_u95_pct,
    from routed
    left join factors as fd
        on fd.parameter = 'disturbance_fd' and fd.stratum = routed.fd_stratum
        and routed.loss_route = 'area_fd'
),

fire_losses as (
    -- CO2 of Eq 2.27 (t CO2) -> t C by 44/12; inputs: fuel (plot sampling or Table 2.4), C_f, G_ef
    select
        fires.report_id,
        'fire' as cause,
        fires.loss_basis,
        fires.event_id,
        fires.vegetation_type as agent,
        cast(null as varchar) as severity,
        cast(null as varchar) as host_species,
        fires.year,
        fires.parcel_id,
        fires.county_code as reported_county_code,
        fires.land_class as mapped_land_class,
        case fires.co2_route when 'eq_2_27' then 'fire_eq_2_27' else 'not_reported' end as loss_route,
        fires.burned_area_ha as affected_area_ha,
        cast(null as integer) as dead_trees,
        cast(null as double) as fd,
        fires.stock_cycle_year,
        fires.stratum_id,
        cast(null as double) as carbon_t_per_ha_mean,
        cast(null as integer) as tree_cycle_year,
        cast(null as double) as mean_tree_carbon_kg,
        fires.fuel_source,
        fires.fuel_mass_t_dm_per_ha,
        fires.combustion_factor,
        fires.co2_t / {{ factor('c_to_co2', 'all') }} as loss_c_t_raw,
        case when fires.co2_route = 'eq_2_27' and fires.fuel_source = 'plot_agb' then fires.fuel_u95_pct end
            as sampling_u95_pct,
        case when fires.co2_route = 'eq_2_27' then fires.sampling_key end as sampling_key,
        case when fires.co2_route = 'eq_2_27' then fires.sampling_df end as sampling_df,
        case when fires.co2_route = 'eq_2_27' then fires.sampling_t_975 end as sampling_t_975,
        cast(null as varchar) as cf_stratum,
        cast(null as varchar) as fd_stratum,
        cast(null as double) as fd_u95_pct,
        case when fires.co2_route = 'eq_2_27' then fires.fuel_stratum end as fuel_stratum,
        case when fires.co2_route = 'eq_2_27' and fires.fuel_source = 'ipcc_table_2_4' then fires.fuel_u95_pct end
            as fuel_u95_pct,
        case when fires.co2_route = 'eq_2_27' then fires.combustion_stratum end as combustion_stratum,
        case when fires.co2_route = 'eq_2_27' then fires.combustion_u95_pct end as combustion_u95_pct,
        case when fires.co2_route = 'eq_2_27' then fires.ef_stratum end as ef_stratum,
        case when fires.co2_route = 'eq_2_27' then fires.ef_co2_u95_pct end as ef_u95_pct,
        -- an unreported event's area (its pixel area x fire_event_area_ratio)
        case when fires.co2_route = 'eq_2_27' then fires.area_stratum end as area_stratum,
        case when fires.co2_route = 'eq_2_27' then fires.area_u95_pct end as area_u95_pct,
    from fires
),

estimated as (
    select * from pest_losses
    union all by name
    select * from fire_losses
),

final as (
    select
        estimated.report_id,
        estimated.cause,
        estimated.loss_basis,
        estimated.event_id,
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
        estimated.fuel_source,
        estimated.fuel_mass_t_dm_per_ha,
        estimated.combustion_factor,
        estimated.stock_cycle_year,
        estimated.stratum_id,
        estimated.carbon_t_per_ha_mean as carbon_density_t_c_per_ha,
        estimated.tree_cycle_year,
        estimated.mean_tree_carbon_kg,
        -- rounded to the kilogram: reproducible by hand, far below the factors' uncertainty
        round(estimated.loss_c_t_raw, 6) as loss_c_t,
        round(estimated.loss_c_t_raw * {{ factor('c_to_co2', 'all') }}, 6) as loss_co2e_t,
        estimated.sampling_key,
        estimated.sampling_df,
        estimated.sampling_t_975,
        coalesce(estimated.sampling_u95_pct, 0) as sampling_u95_pct,
        estimated.cf_stratum,
        coalesce(cf.u95_pct, 0) as cf_u95_pct,
        estimated.fd_stratum,
        coalesce(estimated.fd_u95_pct, 0) as fd_u95_pct,
        estimated.fuel_stratum,
        coalesce(estimated.fuel_u95_pct, 0) as fuel_u95_pct,
        estimated.combustion_stratum,
        coalesce(estimated.combustion_u95_pct, 0) as combustion_u95_pct,
        estimated.ef_stratum,
        coalesce(estimated.ef_u95_pct, 0) as ef_u95_pct,
        estimated.area_stratum,
        coalesce(estimated.area_u95_pct, 0) as area_u95_pct,
        -- IPCC Approach 1, Eq 3.1 (a product of independent inputs)
        sqrt(
            coalesce(estimated.sampling_u95_pct, 0) ^ 2 + coalesce(cf.u95_pct, 0) ^ 2
            + coalesce(estimated.fd_u95_pct, 0) ^ 2 + coalesce(estimated.fuel_u95_pct, 0) ^ 2
            + coalesce(estimated.combustion_u95_pct, 0) ^ 2 + coalesce(estimated.ef_u95_pct, 0) ^ 2
            + coalesce(estimated.area_u95_pct, 0) ^ 2
        ) as loss_u95_pct,
    from estimated
    left join parcels on estimated.parcel_id = parcels.parcel_id
    left join factors as cf
        on cf.parameter = 'carbon_fraction_biomass' and cf.stratum = estimated.cf_stratum
        and estimated.loss_route in ('area_fd', 'dead_tree_count')
)

select * from final
