-- Annual forest biomass sink by stock difference between remeasured inventory cycles
-- (IPCC 2006 V4 Ch2 Eq 2.5 / 2.8a): dC = (C_t2 - C_t1) / (t2 - t1), spread over the years
-- t1+1 .. t2. Removals are positive (sink), in t CO2e. Losses (fire, pests, felling) between the
-- cycles are already inside the stock change and are not deducted again.
-- Sampling uncertainty (95 % half-widths with Student's t at the estimate's df, 6 decimals):
-- where the stratum is the same at both cycles, t x the paired SE of the plots' net change
-- (int_forest_increment_strata_estimated; remeasured plots are strongly correlated between
-- cycles); otherwise the two cycles' stratum estimates are treated as independent
-- (t x SE x area / (t2 - t1) each), which overstates it: conservative.
with stock as (
    select * from {{ ref('fct_carbon_stock') }}
    where land_class = 'forest'
),

increments as (
    select * from {{ ref('int_forest_increment_strata_estimated') }}
),

c_to_co2 as (
    select value from {{ ref('seed_carbon_factors') }} where parameter = 'c_to_co2' and stratum = 'all'
),

pairs as (
    select
        parcel_id,
        county_code,
        zone_id,
        land_class,
        area_mu,
        area_ha,
        inventory_year as year_t2,
        lag(inventory_year) over w as year_t1,
        stratum_id as stratum_id_t2,
        lag(stratum_id) over w as stratum_id_t1,
        co2e_t as co2e_t2,
        lag(co2e_t) over w as co2e_t1,
        carbon_density_se_t_c_per_ha as carbon_density_se_t2,
        lag(carbon_density_se_t_c_per_ha) over w as carbon_density_se_t1,
        sampling_t_975 as sampling_t_975_t2,
        lag(sampling_t_975) over w as sampling_t_975_t1,
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
        pairs.stratum_id_t1,
        pairs.stratum_id_t2,
        (pairs.co2e_t2 - pairs.co2e_t1) / (pairs.year_t2 - pairs.year_t1) as removals_co2e_t,
        increments.stratum_id is not null as is_sampling_paired,
        round(case
            when increments.stratum_id is not null
                then pairs.area_ha * increments.t_975 * increments.net_change_t_c_per_ha_yr_se * c_to_co2.value
            else pairs.area_ha * pairs.sampling_t_975_t1 * pairs.carbon_density_se_t1 * c_to_co2.value
                / (pairs.year_t2 - pairs.year_t1)
        end, 6) as sampling_u95_t1_co2e_t,
        round(case
            when increments.stratum_id is null
                then pairs.area_ha * pairs.sampling_t_975_t2 * pairs.carbon_density_se_t2 * c_to_co2.value
                    / (pairs.year_t2 - pairs.year_t1)
            else 0.0
        end, 6) as sampling_u95_t2_co2e_t,
    from pairs
    cross join c_to_co2
    left join increments
        on pairs.stratum_id_t1 = pairs.stratum_id_t2
        and increments.stratum_id = pairs.stratum_id_t2
        and increments.year_t1 = pairs.year_t1
        and increments.year_t2 = pairs.year_t2
    cross join lateral (select unnest(range(pairs.year_t1 + 1, pairs.year_t2 + 1)) as year) as yr
    where pairs.year_t1 is not null
)

select * from final
