-- Per-plot, per-cycle live-tree densities (t/ha, m3/ha). Plots whose trees all died or were cut
-- keep a row with zero density: dropping them would bias the stratum mean upwards.
-- The plot totals add both biomass routes of int_trees_biomass_estimated (species allometry and
-- IPCC Eq 2.8 volume x BCEF_S x (1 + R) x CF); the number of live trees and the carbon of each
-- route are kept for tracing, with the volume route's factor terms (BCEF_S, R) for Approach 1.
-- volume_m3_per_ha is the station's reported stem volume for volume-route trees and stem mass /
-- basic density for the others (a proxy of 蓄积); volume_table_m3_per_ha is the reported part only.
with all_trees as (
    select * from {{ ref('stg_survey__forest_trees') }}
),

live_trees as (
    select * from {{ ref('int_trees_biomass_estimated') }}
),

plots as (
    select
        plot_id,
        inventory_year,
        any_value(parcel_id) as parcel_id,
        any_value(plot_area_m2) as plot_area_m2,
        count(*) as n_trees_tallied,
        list(distinct source_sha256 order by source_sha256) as source_sha256s,
    from all_trees
    group by plot_id, inventory_year
),

live as (
    -- sums in a fixed order (tree_id): float addition is not associative, and a plot density
    -- rounded below may sit on a rounding tie, so any other order could flip its last digit
    select
        plot_id,
        inventory_year,
        count(*) as n_live_trees,
        count(*) filter (where biomass_route = 'allometry') as n_trees_allometry,
        count(*) filter (where biomass_route = 'volume_bcef') as n_trees_volume_bcef,
        count(*) filter (where biomass_route = 'proxy_allometry') as n_trees_proxy_allometry,
        sum(carbon_kg order by tree_id) filter (where biomass_route = 'volume_bcef') as carbon_volume_bcef_kg,
        sum(carbon_kg order by tree_id) filter (where biomass_route = 'proxy_allometry') as carbon_proxy_allometry_kg,
        sum(bcef_s_u95_carbon_kg order by tree_id) as bcef_s_u95_carbon_kg,
        sum(root_shoot_u95_carbon_kg order by tree_id) as root_shoot_u95_carbon_kg,
        sum(agb_kg order by tree_id) as agb_kg,
        sum(bgb_kg order by tree_id) as bgb_kg,
        sum(stem_volume_m3 order by tree_id) as stem_volume_m3,
        sum(stem_volume_m3 order by tree_id) filter (where biomass_route = 'volume_bcef') as stem_volume_table_m3,
        sum(carbon_kg order by tree_id) as carbon_kg,
    from live_trees
    group by plot_id, inventory_year
),

final as (
    select
        plots.plot_id,
        plots.parcel_id,
        plots.inventory_year,
        plots.plot_area_m2,
        plots.plot_area_m2 / 10000.0 as plot_area_ha,
        plots.n_trees_tallied,
        coalesce(live.n_live_trees, 0) as n_live_trees,
        coalesce(live.n_trees_allometry, 0) as n_trees_allometry,
        coalesce(live.n_trees_volume_bcef, 0) as n_trees_volume_bcef,
        coalesce(live.n_trees_proxy_allometry, 0) as n_trees_proxy_allometry,
        -- densities rounded to 1 g / 1 cm3 per ha: reproducible by hand
        round(coalesce(live.agb_kg, 0) / 1000.0 / (plots.plot_area_m2 / 10000.0), 6) as agb_t_per_ha,
        round(coalesce(live.bgb_kg, 0) / 1000.0 / (plots.plot_area_m2 / 10000.0), 6) as bgb_t_per_ha,
        round(coalesce(live.stem_volume_m3, 0) / (plots.plot_area_m2 / 10000.0), 6) as volume_m3_per_ha,
        round(coalesce(live.stem_volume_table_m3, 0) / (plots.plot_area_m2 / 10000.0), 6) as volume_table_m3_per_ha,
        round(coalesce(live.carbon_kg, 0) / 1000.0 / (plots.plot_area_m2 / 10000.0), 6) as carbon_t_per_ha,
        round(coalesce(live.carbon_volume_bcef_kg, 0) / 1000.0 / (plots.plot_area_m2 / 10000.0), 6) as carbon_volume_bcef_t_per_ha,
        round(coalesce(live.carbon_proxy_allometry_kg, 0) / 1000.0 / (plots.plot_area_m2 / 10000.0), 6) as carbon_proxy_allometry_t_per_ha,
        round(coalesce(live.bcef_s_u95_carbon_kg, 0) / 1000.0 / (plots.plot_area_m2 / 10000.0), 6) as bcef_s_u95_t_c_per_ha,
        round(coalesce(live.root_shoot_u95_carbon_kg, 0) / 1000.0 / (plots.plot_area_m2 / 10000.0), 6) as root_shoot_u95_t_c_per_ha,
        plots.source_sha256s,
    from plots
    left join live
        on plots.plot_id = live.plot_id and plots.inventory_year = live.inventory_year
)

select * from final
