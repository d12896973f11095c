-- Annual forest biomass sink by stock difference between remeasured inventory cycles
-- (IPCC 2006 V4 Ch2 Eq 2.5 / 2.8a): dC = (C_t2 - C_t1) / (t2 - t1), spread over the years
-- t1+1 .. t2. Removals are positive (sink), in t CO2e.
with stock as (
    select * from {{ ref('fct_carbon_stock') }}
    where land_class = 'forest'
),

pairs as (
    select
        parcel_id,
        county_code,
        zone_id,
        land_class,
        area_mu,
        inventory_year as year_t2,
        lag(inventory_year) over w as year_t1,
        co2e_t as co2e_t2,
        lag(co2e_t) over w as co2e_t1,
    from stock
    window w as (partition by parcel_id order by inventory_year)
),

final as (
    select
        pairs.parcel_id,
        pairs.county_code,
        pairs.zone_id,
        pairs.land_class,
        pairs.area_mu,
        cast(yr.year as integer) as year,
        pairs.year_t1,
        pairs.year_t2,
        (pairs.co2e_t2 - pairs.co2e_t1) / (pairs.year_t2 - pairs.year_t1) as removals_co2e_t,
    from pairs
    cross join lateral (select unnest(range(pairs.year_t1 + 1, pairs.year_t2 + 1)) as year) as yr
    where pairs.year_t1 is not null
)

select * from final
