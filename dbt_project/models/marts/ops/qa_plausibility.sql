-- Plausibility of the published figures against bounds with their sources (seed_plausibility_
-- bounds, one row per check_id), a warning-level gate input (marts__qa_plausibility):
--   carbon_density      area-weighted carbon density per land class and inventory year, t C/ha
--   stock_growth        city forest growing stock change per year between cycles, %/yr (compound)
--   sink_per_ha         city net sink per land class and year per hectare of its area, t CO2e/ha/yr
--   indicator_movement  change of a plan indicator (city) per year between reported years, points/yr
-- One row per check_id and year; a check without data (e.g. one inventory cycle) has no row.
with stock as (
    select * from {{ ref('fct_carbon_stock') }}
),

city_sink as (
    select * from {{ ref('fct_city_annual_sink') }}
),

progress as (
    select * from {{ ref('fct_target_progress') }}
),

bounds as (
    select * from {{ ref('seed_plausibility_bounds') }}
),

carbon_density as (
    select
        'carbon_density' as check_kind,
        land_class as subject,
        inventory_year as year,
        sum(carbon_t) / nullif(sum(area_ha), 0) as value,
    from stock
    where land_class in ('forest', 'grassland')
    group by land_class, inventory_year
),

forest_volume as (
    select
        inventory_year as year,
        sum(volume_m3) as volume_m3,
        lag(inventory_year) over (order by inventory_year) as previous_year,
        lag(sum(volume_m3)) over (order by inventory_year) as previous_volume_m3,
    from stock
    where land_class = 'forest'
    group by inventory_year
),

stock_growth as (
    select
        'stock_growth' as check_kind,
        'forest' as subject,
        year,
        100.0 * (pow(volume_m3 / previous_volume_m3, 1.0 / (year - previous_year)) - 1.0) as value,
    from forest_volume
    where previous_volume_m3 > 0
),

sink_per_ha as (
    select
        'sink_per_ha' as check_kind,
        land_class as subject,
        year,
        net_sink_co2e_t / (area_mu / 15.0) as value,
    from city_sink
    where land_class in ('forest', 'grassland', 'wetland') and area_mu > 0
),

indicator_years as (
    select
        indicator,
        year,
        value,
        lag(year) over (partition by indicator order by year) as previous_year,
        lag(value) over (partition by indicator order by year) as previous_value,
    from progress
    where scope = 'city'
        and indicator in (select subject from bounds where check_kind = 'indicator_movement')
),

indicator_movement as (
    select
        'indicator_movement' as check_kind,
        indicator as subject,
        year,
        (value - previous_value) / (year - previous_year) as value,
    from indicator_years
    where previous_year is not null
),

checks as (
    select * from carbon_density
    union all
    select * from stock_growth
    union all
    select * from sink_per_ha
    union all
    select * from indicator_movement
),

final as (
    select
        bounds.check_id,
        checks.check_kind,
        checks.subject,
        cast(checks.year as integer) as year,
        {{ measure('checks.value', 4) }} as value,
        bounds.unit,
        bounds.lower_bound,
        bounds.upper_bound,
        checks.value between bounds.lower_bound and bounds.upper_bound as is_plausible,
        bounds.description,
        bounds.source as bound_source,
        bounds.source_status as bound_source_status,
    from checks
    inner join bounds on checks.check_kind = bounds.check_kind and checks.subject = bounds.subject
)

select * from final
