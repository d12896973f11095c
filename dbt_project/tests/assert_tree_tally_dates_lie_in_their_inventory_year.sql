-- A tree tally's measurement_date lies in its inventory_year. A date outside it is a typing error
-- (or a cycle named by the wrong year); int_plot_tally_intervals then treats the date as unknown
-- (any day of the inventory year), which is conservative for placing losses. Warn, don't block.
{{ config(severity='warn') }}

select plot_id, inventory_year, tree_id, measurement_date
from {{ ref('stg_survey__forest_trees') }}
where measurement_date is not null
    and year(measurement_date) <> inventory_year
