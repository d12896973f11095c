-- Tree-level biomass by Inner Mongolia species allometry (Huang et al. 2016, Appendix 1):
-- above-ground = leaf + branch + stem, below-ground = root; stem volume = stem mass / basic wood
-- density; carbon = biomass x CF of the species group (IPCC 2006 V4 Ch4 Table 4.3).
with trees as (
    select * from {{ ref('stg_survey__forest_trees') }}
    where tree_status = 'alive'
),

species as (
    select * from {{ ref('seed_species') }}
),

allometry as (
    select * from {{ ref('seed_allometry') }}
),

factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

components as (
    select
        trees.plot_id,
        trees.inventory_year,
        trees.tree_id,
        allometry.component,
        case allometry.form
            when 'power_d2h' then allometry.a * pow(trees.dbh_cm * trees.dbh_cm * trees.height_m, allometry.b)
            when 'exp_ln_d2h' then exp(allometry.a + allometry.b * ln(trees.dbh_cm * trees.dbh_cm * trees.height_m))
            when 'exp_ln_d' then exp(allometry.a + allometry.b * ln(trees.dbh_cm))
        end as mass_kg,
    from trees
    inner join species on trees.species = species.species
    inner join allometry on species.allometry_species = allometry.species
),

per_tree as (
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

final as (
    select
        trees.plot_id,
        trees.parcel_id,
        trees.inventory_year,
        trees.plot_area_m2,
        trees.tree_id,
        trees.species,
        species.species_group,
        species.allometry_species,
        species.allometry_status,
        trees.dbh_cm,
        trees.height_m,
        -- rounded to 1 mg / 1 cm3: far below measurement error, and reproducible by hand
        round(per_tree.agb_kg, 6) as agb_kg,
        round(per_tree.bgb_kg, 6) as bgb_kg,
        round(per_tree.stem_kg / 1000.0 / density.value, 6) as stem_volume_m3,
        cf.value as carbon_fraction,
        round((per_tree.agb_kg + per_tree.bgb_kg) * cf.value, 6) as carbon_kg,
        trees.source_sha256,
    from trees
    inner join species on trees.species = species.species
    inner join per_tree
        on trees.plot_id = per_tree.plot_id
        and trees.inventory_year = per_tree.inventory_year
        and trees.tree_id = per_tree.tree_id
    inner join factors as cf
        on cf.parameter = 'carbon_fraction_biomass' and cf.stratum = species.cf_stratum
    inner join factors as density
        on density.parameter = 'wood_density' and density.stratum = species.wood_density_stratum
)

select * from final
