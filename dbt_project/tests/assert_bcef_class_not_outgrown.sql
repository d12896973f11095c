{{ config(severity='warn') }}
-- Issue #19 item 8: the BCEF_S growing-stock class of a plot is fixed at its first measurement,
-- so that a later cycle never restates an earlier year. A plot whose growing stock has since left
-- that class keeps the first class's BCEF_S (IPCC 2006 V4 Ch4 Table 4.5): listed here as a warning,
-- one row per plot and cycle, for a documented recalculation of the series if it matters.
with trees as (
    select * from {{ ref('int_trees_biomass_estimated') }}
    where biomass_route = 'volume_bcef'
),

classes as (
    select * from {{ ref('seed_bcef_classes') }}
)

select distinct
    trees.plot_id,
    trees.inventory_year,
    trees.bcef_class,
    trees.gs_class as fixed_gs_class,
    trees.plot_gs_m3_per_ha as first_gs_m3_per_ha,
    trees.cycle_gs_m3_per_ha,
from trees
inner join classes
    on trees.bcef_class = classes.bcef_class and trees.gs_class = classes.gs_class
where (classes.gs_above_m3_per_ha is not null and trees.cycle_gs_m3_per_ha <= classes.gs_above_m3_per_ha)
    or (classes.gs_upto_m3_per_ha is not null and trees.cycle_gs_m3_per_ha > classes.gs_upto_m3_per_ha)
