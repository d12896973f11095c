-- Tree-level biomass, stem volume and carbon of live trees, by one of three routes
-- (column biomass_route; rule in seed_species.allometry_status and the tally's stem_volume_m3):
--   allometry        the species has its own Inner Mongolia equation (Huang et al. 2016, Appendix 1):
--                    AGB = leaf + branch + stem, BGB = root; stem volume = stem mass / basic density.
--   volume_bcef      no own equation, and the station reports the tree's stem volume (provincial
--                    二元立木材积表): IPCC 2006 V4 Ch2 Eq 2.8 Method 1, AGB = V x BCEF_S,
--                    BGB = AGB x R, carbon = (AGB + BGB) x CF. BCEF_S (Table 4.5) is a stand-level
--                    factor: its class is the species' bcef_class (hardwoods / pines / other
--                    conifers) and the plot's total growing stock (m3/ha of all live trees, both
--                    routes); R (IPCC 2019 Table 4.4, temperate Asia) by species group, the parcel's
--                    origin and the plot's AGB (<= 125 t/ha row unless larger). Each tree carries the
--                    plot's factors, so the plot sum is exactly GS x BCEF_S x (1 + R) x CF.
--   proxy_allometry  no own equation and no reported volume: another species' equation (kept, A).
-- Stock-difference consistency: a change of route or of factor class between cycles would show as
-- a stock change that no tree made. So (1) the route is decided per plot and species across all
-- cycles: volume_bcef only when every live tree of that species in that plot carries a reported
-- volume in every cycle, otherwise all of them take proxy_allometry; (2) the BCEF_S growing-stock
-- class and the R AGB class are decided per plot at its FIRST measurement (plot_gs_m3_per_ha,
-- plot_agb_t_per_ha of the plot's first inventory year; 0 when it had no live tree), so every cycle
-- of a plot uses the same factors and a later cycle never restates an earlier year (a mean over
-- cycles did: a third cycle moved the class of the first two). A plot that outgrows its class
-- keeps it (cycle_gs_m3_per_ha shows the cycle's own GS; test assert_bcef_class_not_outgrown warns).
-- Carbon fraction: CF of the species group (IPCC 2006 V4 Ch4 Table 4.3), every route.
with trees as (
    select * from {{ ref('stg_survey__forest_trees') }}
    where tree_status = 'alive'
),

-- the plot's first measurement: its first inventory year with any tallied tree, alive or not
plot_first as (
    select plot_id, min(inventory_year) as first_year
    from {{ ref('stg_survey__forest_trees') }}
    group by plot_id
),

species as (
    select * from {{ ref('seed_species') }}
    where allometry_status in ('own', 'proxy')
),

allometry as (
    select * from {{ ref('seed_allometry') }}
),

factors as (
    select * from {{ ref('int_factors_uncertainty') }}
),

bcef_classes as (
    select * from {{ ref('seed_bcef_classes') }}
),

parcels as (
    select distinct parcel_id, origin from {{ ref('stg_survey__parcels') }}
),

routed as (
    select
        trees.*,
        species.species_group,
        species.cf_stratum,
        species.allometry_species,
        species.allometry_status,
        species.wood_density_stratum,
        species.bcef_class,
        case
            when species.allometry_status = 'own' then 'allometry'
            when species.bcef_class is not null
                and bool_and(trees.stem_volume_m3 is not null) over (partition by trees.plot_id, trees.species)
                then 'volume_bcef'
            else 'proxy_allometry'
        end as biomass_route,
    from trees
    inner join species on trees.species = species.species
),

components as (
    select
        routed.plot_id,
        routed.inventory_year,
        routed.tree_id,
        allometry.component,
        case allometry.form
            when 'power_d2h' then allometry.a * pow(routed.dbh_cm * routed.dbh_cm * routed.height_m, allometry.b)
            when 'exp_ln_d2h' then exp(allometry.a + allometry.b * ln(routed.dbh_cm * routed.dbh_cm * routed.height_m))
            when 'exp_ln_d' then exp(allometry.a + allometry.b * ln(routed.dbh_cm))
        end as mass_kg,
    from routed
    inner join allometry on routed.allometry_species = allometry.species
    where routed.biomass_route in ('allometry', 'proxy_allometry')
),

per_tree_allometric as (
    select
        plot_id,
        inventory_year,
        tree_id,
        sum(mass_kg) filter (where component in ('leaf', 'branch', 'stem')) as agb_kg,
        sum(mass_kg) filter (where component = 'root') as bgb_kg,
        sum(mass_kg) filter (where component = 'stem') as stem_kg,
    from components
    group by plot_id, inventory_year, tree_id
),

tree_volumes as (
    select
        routed.*,
        per_tree_allometric.agb_kg as allometric_agb_kg,
        per_tree_allometric.bgb_kg as allometric_bgb_kg,
        case
            when routed.biomass_route = 'volume_bcef' then routed.stem_volume_m3
            else per_tree_allometric.stem_kg / 1000.0 / density.value
        end as tree_volume_m3,
    from routed
    left join per_tree_allometric
        on routed.plot_id = per_tree_allometric.plot_id
        and routed.inventory_year = per_tree_allometric.inventory_year
        and routed.tree_id = per_tree_allometric.tree_id
    left join factors as density
        on density.parameter = 'wood_density' and density.stratum = routed.wood_density_stratum
),

-- growing stock of the plot in each cycle (all live trees, both routes), and at its first measurement
plot_cycles as (
    select
        plot_id,
        inventory_year,
        any_value(parcel_id) as parcel_id,
        sum(tree_volume_m3) / (any_value(plot_area_m2) / 10000.0) as gs_m3_per_ha,
    from tree_volumes
    group by plot_id, inventory_year
),

plot_gs as (
    select
        plot_first.plot_id,
        coalesce(plot_cycles.gs_m3_per_ha, 0) as plot_gs_m3_per_ha,
    from plot_first
    left join plot_cycles
        on plot_first.plot_id = plot_cycles.plot_id and plot_first.first_year = plot_cycles.inventory_year
),

-- BCEF_S per plot and BCEF class, from the class of the plot's growing stock
plot_bcef as (
    select
        plot_gs.plot_id,
        bcef_classes.bcef_class,
        bcef_classes.gs_class,
        bcef.stratum as bcef_s_stratum,
        bcef.value as bcef_s,
        bcef.u95_pct as bcef_s_u95_pct,
    from plot_gs
    inner join bcef_classes
        on (bcef_classes.gs_above_m3_per_ha is null or plot_gs.plot_gs_m3_per_ha > bcef_classes.gs_above_m3_per_ha)
        and (bcef_classes.gs_upto_m3_per_ha is null or plot_gs.plot_gs_m3_per_ha <= bcef_classes.gs_upto_m3_per_ha)
    inner join factors as bcef
        on bcef.parameter = 'bcef_s' and bcef.stratum = bcef_classes.bcef_s_stratum
),

tree_agb as (
    select
        tree_volumes.*,
        plot_bcef.gs_class,
        plot_bcef.bcef_s,
        plot_bcef.bcef_s_u95_pct,
        case
            when tree_volumes.biomass_route = 'volume_bcef' then tree_volumes.stem_volume_m3 * plot_bcef.bcef_s * 1000.0
            else tree_volumes.allometric_agb_kg
        end as agb_kg_raw,
    from tree_volumes
    left join plot_bcef
        on tree_volumes.biomass_route = 'volume_bcef'
        and tree_volumes.plot_id = plot_bcef.plot_id
        and tree_volumes.bcef_class = plot_bcef.bcef_class
),

-- AGB of the plot (both routes) at its first measurement: the AGB class of the root-to-shoot ratio
plot_agb as (
    select
        plot_first.plot_id,
        coalesce(first_agb.agb_t_per_ha, 0) as plot_agb_t_per_ha,
    from plot_first
    left join (
        select
            plot_id,
            inventory_year,
            sum(agb_kg_raw) / 1000.0 / (any_value(plot_area_m2) / 10000.0) as agb_t_per_ha,
        from tree_agb
        group by plot_id, inventory_year
    ) as first_agb
        on plot_first.plot_id = first_agb.plot_id and plot_first.first_year = first_agb.inventory_year
),

final as (
    select
        tree_agb.plot_id,
        tree_agb.parcel_id,
        tree_agb.inventory_year,
        tree_agb.plot_area_m2,
        tree_agb.tree_id,
        tree_agb.species,
        tree_agb.species_group,
        tree_agb.allometry_species,
        tree_agb.allometry_status,
        tree_agb.biomass_route,
        tree_agb.dbh_cm,
        tree_agb.height_m,
        round(plot_gs.plot_gs_m3_per_ha, 6) as plot_gs_m3_per_ha,
        round(plot_cycles.gs_m3_per_ha, 6) as cycle_gs_m3_per_ha,
        tree_agb.bcef_class,
        tree_agb.gs_class,
        tree_agb.bcef_s,
        rs.stratum as root_shoot_stratum,
        rs.value as root_shoot,
        -- rounded to 1 mg / 1 cm3: far below measurement error, and reproducible by hand
        round(tree_agb.agb_kg_raw, 6) as agb_kg,
        round(coalesce(tree_agb.agb_kg_raw * rs.value, tree_agb.allometric_bgb_kg), 6) as bgb_kg,
        round(tree_agb.tree_volume_m3, 6) as stem_volume_m3,
        cf.value as carbon_fraction,
        round(
            (tree_agb.agb_kg_raw + coalesce(tree_agb.agb_kg_raw * rs.value, tree_agb.allometric_bgb_kg)) * cf.value, 6
        ) as carbon_kg,
        -- Approach 1 factor terms of the volume route (95 % half-widths, kg C): BCEF_S scales AGB
        -- and BGB alike; R scales BGB only
        round(coalesce(tree_agb.agb_kg_raw * (1 + rs.value) * cf.value * tree_agb.bcef_s_u95_pct / 100.0, 0), 6)
            as bcef_s_u95_carbon_kg,
        round(coalesce(tree_agb.agb_kg_raw * rs.value * cf.value * rs.u95_pct / 100.0, 0), 6)
            as root_shoot_u95_carbon_kg,
        tree_agb.source_sha256,
    from tree_agb
    inner join plot_gs on tree_agb.plot_id = plot_gs.plot_id
    inner join plot_agb on tree_agb.plot_id = plot_agb.plot_id
    inner join plot_cycles
        on tree_agb.plot_id = plot_cycles.plot_id and tree_agb.inventory_year = plot_cycles.inventory_year
    left join parcels on tree_agb.parcel_id = parcels.parcel_id
    left join factors as rs
        on tree_agb.biomass_route = 'volume_bcef'
        and rs.parameter = 'root_shoot'
        and rs.stratum = 'temperate_asia_' || parcels.origin || '_' || tree_agb.species_group || '_agb_'
            || case when plot_agb.plot_agb_t_per_ha > {{ factor('root_shoot_agb_class_limit', 'temperate_asia') }} then 'gt125' else 'le125' end
    inner join factors as cf
        on cf.parameter = 'carbon_fraction_biomass' and cf.stratum = tree_agb.cf_stratum
)

select * from final
