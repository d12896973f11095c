-- The stratum estimates of forest carbon split into parts by the factors each part is a product
-- of, for IPCC Approach 2 (fct_city_sink_uncertainty re-evaluates the sink per draw from them).
-- Per tree (int_trees_biomass_estimated):
--   allometry, proxy_allometry   C = (AGB + BGB) x CF                  one part, factor {CF}
--   volume_bcef                  C = V x BCEF_S x CF                   part {CF, BCEF_S}
--                                  + V x BCEF_S x R x CF               part {CF, BCEF_S, R}
-- (allometric biomass and reported volumes are data, not drawn). A part is a plot density (t C/ha)
-- averaged over the stratum's plots like the estimate itself (sum / n_units, plots without live
-- trees count as 0), for the stock of each cycle (estimate = 'stock', the parts add up to
-- int_forest_strata_estimated.carbon_t_per_ha_mean) and for the gross increment of each
-- remeasurement period (estimate = 'increment': survivors' growth + ingrowth, t C/ha/yr, adding up
-- to int_forest_increment_strata_estimated.gross_increment_t_c_per_ha_yr_mean), and for the losses
-- measured on the same plots over that period (IPCC 2006 V4 Ch2 Eq 2.11-2.13, as
-- int_plots_increment_estimated): estimate = 'mortality', the carbon at t1 of trees alive at t1
-- that the t2 tally records dead or does not list, and 'harvest', of trees it records cut (t C/ha/
-- yr, adding up to mortality_ / harvest_t_c_per_ha_yr_mean). Factor keys are 'parameter|stratum' of
-- int_factors_uncertainty.
with trees as (
    select * from {{ ref('int_trees_biomass_estimated') }}
),

species as (
    select * from {{ ref('seed_species') }}
),

bcef_classes as (
    select * from {{ ref('seed_bcef_classes') }}
),

plots as (
    select * from {{ ref('int_plots_carbon_estimated') }}
),

increments as (
    select * from {{ ref('int_plots_increment_estimated') }}
),

tallied as (
    select * from {{ ref('stg_survey__forest_trees') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

strata as (
    select * from {{ ref('int_forest_strata_estimated') }}
),

increment_strata as (
    select * from {{ ref('int_forest_increment_strata_estimated') }}
),

keyed as (
    select
        trees.plot_id,
        trees.inventory_year,
        trees.tree_id,
        trees.biomass_route,
        trees.agb_kg,
        trees.bgb_kg,
        trees.carbon_fraction,
        'carbon_fraction_biomass|' || species.cf_stratum as cf_key,
        case when trees.biomass_route = 'volume_bcef' then 'bcef_s|' || bcef_classes.bcef_s_stratum end as bcef_key,
        'root_shoot|' || trees.root_shoot_stratum as rs_key,
    from trees
    inner join species on trees.species = species.species
    left join bcef_classes
        on trees.bcef_class = bcef_classes.bcef_class and trees.gs_class = bcef_classes.gs_class
),

tree_parts as (
    select
        plot_id, inventory_year, tree_id,
        case when biomass_route = 'volume_bcef' then cf_key || ';' || bcef_key else cf_key end as factor_keys,
        case when biomass_route = 'volume_bcef' then agb_kg else agb_kg + bgb_kg end * carbon_fraction as carbon_kg,
    from keyed
    union all
    select
        plot_id, inventory_year, tree_id,
        cf_key || ';' || bcef_key || ';' || rs_key,
        bgb_kg * carbon_fraction,
    from keyed
    where biomass_route = 'volume_bcef'
),

-- plot densities per part, t C/ha
plot_stock_parts as (
    select
        plots.plot_id,
        plots.parcel_id,
        plots.inventory_year,
        tree_parts.factor_keys,
        sum(tree_parts.carbon_kg order by tree_parts.tree_id) / 1000.0 / plots.plot_area_ha as part_t_c_per_ha,
    from plots
    inner join tree_parts
        on plots.plot_id = tree_parts.plot_id and plots.inventory_year = tree_parts.inventory_year
    group by plots.plot_id, plots.parcel_id, plots.inventory_year, plots.plot_area_ha, tree_parts.factor_keys
),

-- gross increment per part: trees alive at t2 minus the same trees at t1 (a tree keeps its
-- species, route and its plot's factor classes across cycles, so its parts are the same)
plot_increment_parts as (
    select
        increments.plot_id,
        increments.parcel_id,
        increments.year_t1,
        increments.year_t2,
        t2.factor_keys,
        sum(t2.carbon_kg - coalesce(t1.carbon_kg, 0) order by t2.tree_id)
            / 1000.0 / (increments.plot_area_m2 / 10000.0) / (increments.year_t2 - increments.year_t1)
            as part_t_c_per_ha,
    from increments
    inner join tree_parts as t2
        on increments.plot_id = t2.plot_id and increments.year_t2 = t2.inventory_year
    left join tree_parts as t1
        on t2.plot_id = t1.plot_id and t2.tree_id = t1.tree_id and t2.factor_keys = t1.factor_keys
        and t1.inventory_year = increments.year_t1
    group by increments.plot_id, increments.parcel_id, increments.year_t1, increments.year_t2,
        increments.plot_area_m2, t2.factor_keys
),

-- losses per part: trees alive at t1 and not alive at t2, their carbon at t1
plot_loss_parts as (
    select
        case when t2.tree_status = 'cut' then 'harvest' else 'mortality' end as estimate,
        increments.plot_id,
        increments.parcel_id,
        increments.year_t1,
        increments.year_t2,
        t1.factor_keys,
        sum(t1.carbon_kg order by t1.tree_id)
            / 1000.0 / (increments.plot_area_m2 / 10000.0) / (increments.year_t2 - increments.year_t1)
            as part_t_c_per_ha,
    from increments
    inner join tree_parts as t1
        on increments.plot_id = t1.plot_id and increments.year_t1 = t1.inventory_year
    left join tallied as t2
        on t1.plot_id = t2.plot_id and t1.tree_id = t2.tree_id and t2.inventory_year = increments.year_t2
    where t2.tree_id is null or t2.tree_status <> 'alive'
    group by 1, increments.plot_id, increments.parcel_id, increments.year_t1, increments.year_t2,
        increments.plot_area_m2, t1.factor_keys
),

plot_parts as (
    select
        'stock' as estimate, plot_id, parcel_id,
        cast(null as integer) as year_t1, inventory_year as year_t2, factor_keys, part_t_c_per_ha,
    from plot_stock_parts
    union all
    select 'increment', plot_id, parcel_id, year_t1, year_t2, factor_keys, part_t_c_per_ha,
    from plot_increment_parts
    union all
    select estimate, plot_id, parcel_id, year_t1, year_t2, factor_keys, part_t_c_per_ha,
    from plot_loss_parts
),

-- each plot in its fine (county x type x origin) and pooled (type x origin) stratum
plot_strata as (
    select
        plot_parts.*,
        unnest([
            concat_ws('|', parcels.county_code, parcels.forest_type, parcels.origin),
            concat_ws('|', parcels.forest_type, parcels.origin)
        ]) as stratum_id,
    from plot_parts
    inner join parcels on plot_parts.parcel_id = parcels.parcel_id
),

sums as (
    select
        estimate, stratum_id, year_t1, year_t2, factor_keys,
        sum(part_t_c_per_ha order by plot_id) as part_sum,
    from plot_strata
    group by estimate, stratum_id, year_t1, year_t2, factor_keys
),

final as (
    select
        sums.estimate,
        sums.stratum_id,
        sums.year_t1,
        sums.year_t2,
        sums.factor_keys,
        coalesce(strata.n_units, increment_strata.n_units) as n_units,
        -- 9 decimals (a milligram per hectare): reproducible by hand; the sums run in a fixed
        -- order, so a rebuild gives the same digits
        round(sums.part_sum / coalesce(strata.n_units, increment_strata.n_units), 9) as part_t_c_per_ha,
    from sums
    left join strata
        on sums.estimate = 'stock' and sums.stratum_id = strata.stratum_id
        and sums.year_t2 = strata.inventory_year
    left join increment_strata
        on sums.estimate in ('increment', 'mortality', 'harvest') and sums.stratum_id = increment_strata.stratum_id
        and sums.year_t1 = increment_strata.year_t1 and sums.year_t2 = increment_strata.year_t2
)

select * from final
