-- Carbon losses by cause, long format (one row per year, zone, county, land class and cause),
-- from fct_annual_sink: fire and pest biomass losses (Eq 2.14) and fire CH4/N2O (Eq 2.27).
-- `is_deducted` says whether the row's losses were deducted from the net sink in that year
-- (gain-loss years) or are an "of which" inside a stock difference.
with sink as (
    select * from {{ ref('fct_annual_sink') }}
),

unpivoted as (
    select year, zone_id, county_code, land_class, method, 'fire' as cause,
        loss_fire_co2e_t as loss_co2e_t,
    from sink
    union all
    select year, zone_id, county_code, land_class, method, 'pest', loss_pest_co2e_t,
    from sink
    union all
    select year, zone_id, county_code, land_class, method, 'fire_non_co2', fire_non_co2_co2e_t,
    from sink
),

final as (
    select
        year,
        zone_id,
        county_code,
        land_class,
        cause,
        loss_co2e_t,
        method <> 'stock_difference' as is_deducted,
    from unpivoted
    where coalesce(loss_co2e_t, 0) <> 0
)

select * from final
