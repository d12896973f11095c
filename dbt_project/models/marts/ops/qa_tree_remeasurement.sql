-- Quality view of the forest plots for the gate: every tree with its species bounds and, where
-- it was tallied in the previous cycle too, its DBH growth and status transition.
with trees as (
    select * from {{ ref('stg_survey__forest_trees') }}
),

bounds as (
    select * from {{ ref('seed_species_bounds') }}
),

paired as (
    select
        *,
        lag(inventory_year) over w as previous_year,
        lag(dbh_cm) over w as previous_dbh_cm,
        lag(tree_status) over w as previous_status,
    from trees
    window w as (partition by plot_id, tree_id order by inventory_year)
),

final as (
    select
        paired.plot_id,
        paired.tree_id,
        paired.parcel_id,
        paired.species,
        paired.inventory_year,
        paired.tree_status,
        paired.dbh_cm,
        paired.height_m,
        bounds.dbh_max_cm,
        bounds.height_max_m,
        paired.previous_year,
        paired.previous_status,
        paired.previous_dbh_cm,
        case when paired.previous_year is not null and paired.tree_status = 'alive'
                and paired.previous_status = 'alive'
            then round((paired.dbh_cm - paired.previous_dbh_cm) / (paired.inventory_year - paired.previous_year), 4)
        end as dbh_growth_cm_per_yr,
        bounds.dbh_growth_max_cm_per_yr,
        coalesce(paired.previous_status in ('dead', 'cut') and paired.tree_status = 'alive', false)
            as is_resurrected,
        paired.source_file,
        paired.source_row,
    from paired
    left join bounds on paired.species = bounds.species
)

select * from final
