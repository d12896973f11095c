-- Every tonne fct_losses_by_cause flags as deducted is inside fct_annual_sink.emissions_co2e_t of
-- the same year, zone, county and land class, and nothing else is: row by row,
--   emissions_co2e_t = wetland_ch4_co2e_t + sum(loss_co2e_t where is_deducted).
-- A loss flagged `false` that the sink deducted (or `true` that it did not) breaks the equality.
-- Both sides are rounded to 1 kg per row, hence the tolerance of 1 kg per summed row.
with sink as (
    select * from {{ ref('fct_annual_sink') }}
),

losses as (
    select * from {{ ref('fct_losses_by_cause') }}
),

deducted as (
    select
        year, zone_id, county_code, land_class,
        sum(loss_co2e_t) as deducted_co2e_t,
        count(*) as n_rows,
    from losses
    where is_deducted
    group by year, zone_id, county_code, land_class
),

compared as (
    select
        coalesce(sink.year, deducted.year) as year,
        coalesce(sink.zone_id, deducted.zone_id) as zone_id,
        coalesce(sink.county_code, deducted.county_code) as county_code,
        coalesce(sink.land_class, deducted.land_class) as land_class,
        sink.emissions_co2e_t,
        sink.wetland_ch4_co2e_t,
        deducted.deducted_co2e_t,
        coalesce(sink.emissions_co2e_t, 0) - coalesce(sink.wetland_ch4_co2e_t, 0)
            - coalesce(deducted.deducted_co2e_t, 0) as unexplained_co2e_t,
        coalesce(deducted.n_rows, 0) + 2 as n_rounded_terms,
    from sink
    full outer join deducted
        on sink.year = deducted.year
        and sink.zone_id is not distinct from deducted.zone_id
        and sink.county_code is not distinct from deducted.county_code
        and sink.land_class = deducted.land_class
)

select *
from compared
where abs(unexplained_co2e_t) > 0.001 * n_rounded_terms
