-- Gross carbon increment of each remeasured plot between consecutive inventory cycles (t C/ha/yr),
-- the Tier 2 growth of the gain-loss method (IPCC 2006 V4 Ch2 Eq 2.9-2.10, measured directly):
--   growth = sum over trees alive at t2 of C(t2)  -  sum over the same trees of C(t1)
--          = survivor growth + ingrowth, divided by (t2 - t1) and the plot area.
-- Trees that died or were cut between the cycles are left out of the growth: they are the plot's
-- losses, kept beside it (IPCC 2006 V4 Ch2 Eq 2.11-2.13, measured on the same plots):
--   mortality = sum over trees alive at t1 that are dead at t2 or gone from the t2 tally of C(t1)
--   harvest   = sum over trees alive at t1 that are cut at t2 of C(t1)
-- per ha and year. growth - mortality - harvest = the plot's net change (C_t2 - C_t1) / (t2 - t1),
-- so gain-loss and stock difference agree on the same plots (time-series consistency, IPCC 2006
-- V1 Ch5). (The trees' unobserved growth before death is left out of both: conservative.)
-- The plot's net change is kept too: its stratum SE is the paired sampling error of the stock
-- difference between the same plots.
-- The interval's tally days place a reported fire or pest loss before, between or after the
-- plot's two tallies (int_disturbance_losses_allocated): tally_t1_last_day is the last day of the
-- earlier tally and tally_t2_first_day the first day of the later one; where a tally's
-- measurement_date is missing (or outside its inventory year) for any tree, the whole inventory
-- year is possible: 31 Dec of t1, 1 Jan of t2 (an event in those years then counts as outside the
-- interval: conservative). n_trees_dead / _cut / _missing: trees alive at t1 that the t2 tally
-- records as dead, cut, or does not list at all; lost_carbon_t_c_per_ha: their carbon at t1.
with trees as (
    select * from {{ ref('int_trees_biomass_estimated') }}
),

tallied as (
    select * from {{ ref('stg_survey__forest_trees') }}
),

plots as (
    select * from {{ ref('int_plots_carbon_estimated') }}
),

cycles as (
    select
        plot_id,
        parcel_id,
        plot_area_m2,
        inventory_year as year_t2,
        lag(inventory_year) over (partition by plot_id order by inventory_year) as year_t1,
        carbon_t_per_ha as carbon_t2_t_per_ha,
        lag(carbon_t_per_ha) over (partition by plot_id order by inventory_year) as carbon_t1_t_per_ha,
    from plots
),

pairs as (
    select * from cycles where year_t1 is not null
),

tally_days as (
    select
        plot_id,
        inventory_year,
        bool_and(measurement_date is not null and year(measurement_date) = inventory_year) as is_dated,
        max(measurement_date) as last_day,
        min(measurement_date) as first_day,
    from tallied
    group by plot_id, inventory_year
),

fates as (
    -- trees alive at t1 that are not alive at t2: dead, cut, or missing from the t2 tally
    select
        pairs.plot_id,
        pairs.year_t2,
        count(*) filter (where t2.tree_status = 'dead') as n_trees_dead,
        count(*) filter (where t2.tree_status = 'cut') as n_trees_cut,
        count(*) filter (where t2.tree_id is null) as n_trees_missing,
        sum(t1.carbon_kg order by t1.tree_id) as lost_carbon_kg,
        coalesce(sum(t1.carbon_kg order by t1.tree_id) filter (where t2.tree_status = 'cut'), 0) as harvest_carbon_kg,
        coalesce(sum(t1.carbon_kg order by t1.tree_id) filter (where t2.tree_status is distinct from 'cut'), 0)
            as mortality_carbon_kg,
    from pairs
    inner join trees as t1
        on pairs.plot_id = t1.plot_id and pairs.year_t1 = t1.inventory_year
    left join tallied as t2
        on t1.plot_id = t2.plot_id and t1.tree_id = t2.tree_id and t2.inventory_year = pairs.year_t2
    where t2.tree_id is null or t2.tree_status <> 'alive'
    group by pairs.plot_id, pairs.year_t2
),

tree_growth as (
    select
        pairs.plot_id,
        pairs.year_t1,
        pairs.year_t2,
        sum(t2.carbon_kg) as carbon_t2_kg,
        sum(coalesce(t1.carbon_kg, 0)) as carbon_t1_same_trees_kg,
        count(*) filter (where t1.tree_id is null) as n_ingrowth_trees,
    from pairs
    inner join trees as t2
        on pairs.plot_id = t2.plot_id and pairs.year_t2 = t2.inventory_year
    left join trees as t1
        on t2.plot_id = t1.plot_id and t2.tree_id = t1.tree_id and t1.inventory_year = pairs.year_t1
    group by pairs.plot_id, pairs.year_t1, pairs.year_t2
),

final as (
    select
        pairs.plot_id,
        pairs.parcel_id,
        pairs.year_t1,
        pairs.year_t2,
        pairs.plot_area_m2,
        coalesce(tree_growth.n_ingrowth_trees, 0) as n_ingrowth_trees,
        round(
            coalesce(tree_growth.carbon_t2_kg - tree_growth.carbon_t1_same_trees_kg, 0)
            / 1000.0 / (pairs.plot_area_m2 / 10000.0) / (pairs.year_t2 - pairs.year_t1), 6
        ) as gross_increment_t_c_per_ha_yr,
        -- losses measured on the plot (Eq 2.11-2.13): trees dead or gone, and trees cut
        round(coalesce(fates.mortality_carbon_kg, 0) / 1000.0 / (pairs.plot_area_m2 / 10000.0)
            / (pairs.year_t2 - pairs.year_t1), 6) as mortality_t_c_per_ha_yr,
        round(coalesce(fates.harvest_carbon_kg, 0) / 1000.0 / (pairs.plot_area_m2 / 10000.0)
            / (pairs.year_t2 - pairs.year_t1), 6) as harvest_t_c_per_ha_yr,
        -- the plot's net change (growth - mortality - felling): its stratum SE is the paired
        -- sampling error of the stock difference
        round((pairs.carbon_t2_t_per_ha - pairs.carbon_t1_t_per_ha) / (pairs.year_t2 - pairs.year_t1), 6)
            as net_change_t_c_per_ha_yr,
        case when days_t1.is_dated then days_t1.last_day else make_date(pairs.year_t1, 12, 31) end
            as tally_t1_last_day,
        case when days_t2.is_dated then days_t2.first_day else make_date(pairs.year_t2, 1, 1) end
            as tally_t2_first_day,
        coalesce(fates.n_trees_dead, 0) as n_trees_dead,
        coalesce(fates.n_trees_cut, 0) as n_trees_cut,
        coalesce(fates.n_trees_missing, 0) as n_trees_missing,
        -- carbon of those trees at t1, t C/ha (over the interval, not per year)
        round(coalesce(fates.lost_carbon_kg, 0) / 1000.0 / (pairs.plot_area_m2 / 10000.0), 6)
            as lost_carbon_t_c_per_ha,
    from pairs
    left join tree_growth
        on pairs.plot_id = tree_growth.plot_id and pairs.year_t2 = tree_growth.year_t2
    left join tally_days as days_t1
        on pairs.plot_id = days_t1.plot_id and pairs.year_t1 = days_t1.inventory_year
    left join tally_days as days_t2
        on pairs.plot_id = days_t2.plot_id and pairs.year_t2 = days_t2.inventory_year
    left join fates
        on pairs.plot_id = fates.plot_id and pairs.year_t2 = fates.year_t2
)

select * from final
