-- Annual forest sink by gain-loss (IPCC 2006 V4 Ch2 Eq 2.7, 2.9-2.13) for every parcel and year
-- within the span of years that have inventory or disturbance data. The gain is the parcel's
-- stratum mean annual gross increment measured on its own remeasured plots (Tier 2), from the
-- remeasurement period nearest to the year; the losses measured on the same plots are deducted
-- beside it: natural mortality (trees dead or gone between the tallies, Eq 2.11/2.14) and harvest
-- (trees cut, Eq 2.12), each a stratum mean with its SE and a 95 % half-width of Student's t at the
-- stratum's df x SE. The net gain's sampling error (net_sampling_u95_co2e_t) is that of the plots'
-- net change: growth, mortality and harvest are measured on the same plots and are not independent. Reported fire and pest losses that no
-- plot recorded are deducted in fct_annual_sink from int_disturbance_losses_allocated. Removals
-- positive, t CO2e.
-- Only the years that no remeasurement interval covers take their sink from here
-- (is_stock_difference_year = false: before the first cycle, the first cycle's own year, after the
-- last cycle); in the others the stock difference gives the sink, and these rows are the overlap
-- that tests the two methods' time-series consistency (IPCC 2006 V1 Ch5; int_forest_method_overlap)
-- and the "of which" mortality and harvest inside the stock change.
with parcels as (
    select distinct
        parcel_id, county_code, zone_id, land_class, forest_type, origin, cf_stratum, area_mu, area_ha,
    from {{ ref('int_forest_parcels_estimated') }}
),

cycles as (
    select distinct inventory_year as year from {{ ref('int_forest_parcels_estimated') }}
),

disturbances as (
    select distinct year from {{ ref('int_disturbance_losses_estimated') }}
    where land_class = 'forest'
),

stock_difference as (
    select parcel_id, year from {{ ref('int_forest_sink_stock_difference') }}
),

increments as (
    select * from {{ ref('int_forest_increment_strata_estimated') }}
),

span as (
    select min(year) as first_year, max(year) as last_year
    from (select year from cycles union all select year from disturbances)
),

years as (
    select cast(unnest(range(span.first_year, span.last_year + 1)) as integer) as year
    from span
),

parcel_years as (
    select
        parcels.*,
        years.year,
        stock_difference.parcel_id is not null as is_stock_difference_year,
    from parcels
    cross join years
    left join stock_difference
        on parcels.parcel_id = stock_difference.parcel_id and years.year = stock_difference.year
),

candidates as (
    select
        parcel_years.*,
        increments.stratum_id,
        increments.stratum_level,
        increments.year_t1,
        increments.year_t2,
        increments.n_units as n_plots,
        increments.gross_increment_t_c_per_ha_yr_mean,
        increments.gross_increment_t_c_per_ha_yr_se,
        increments.gross_increment_t_c_per_ha_yr_ci95,
        increments.mortality_t_c_per_ha_yr_mean,
        increments.mortality_t_c_per_ha_yr_ci95,
        increments.harvest_t_c_per_ha_yr_mean,
        increments.harvest_t_c_per_ha_yr_ci95,
        increments.net_change_t_c_per_ha_yr_ci95,
        row_number() over (
            partition by parcel_years.parcel_id, parcel_years.year
            order by
                case increments.stratum_level when 'fine' then 0 else 1 end,
                case
                    when parcel_years.year <= increments.year_t1 then increments.year_t1 - parcel_years.year
                    when parcel_years.year > increments.year_t2 then parcel_years.year - increments.year_t2
                    else 0
                end,
                increments.year_t2 desc
        ) as preference,
    from parcel_years
    inner join increments
        on parcel_years.forest_type = increments.forest_type
        and parcel_years.origin = increments.origin
        and (increments.stratum_level = 'pooled' or parcel_years.county_code = increments.county_code)
    where increments.n_units >= {{ var('min_plots_per_stratum') }} or increments.stratum_level = 'pooled'
),

final as (
    select
        parcel_id,
        county_code,
        zone_id,
        land_class,
        forest_type,
        origin,
        cf_stratum,
        area_mu,
        area_ha,
        year,
        is_stock_difference_year,
        stratum_id,
        stratum_level,
        n_plots,
        year_t1 as increment_year_t1,
        year_t2 as increment_year_t2,
        gross_increment_t_c_per_ha_yr_mean as increment_t_c_per_ha_yr,
        gross_increment_t_c_per_ha_yr_se as increment_se_t_c_per_ha_yr,
        -- rounded to the kilogram: reproducible by hand, far below the sampling error
        round(area_ha * gross_increment_t_c_per_ha_yr_mean * {{ factor('c_to_co2', 'all') }}, 6) as removals_co2e_t,
        -- 95 % half-width of the stratum mean: Student's t at its df x SE (issue #19 item 2)
        round(area_ha * gross_increment_t_c_per_ha_yr_ci95 * {{ factor('c_to_co2', 'all') }}, 6)
            as removals_sampling_u95_co2e_t,
        mortality_t_c_per_ha_yr_mean as mortality_t_c_per_ha_yr,
        harvest_t_c_per_ha_yr_mean as harvest_t_c_per_ha_yr,
        -- mortality and harvest: their own stratum means, 95 % half-widths with Student's t at the
        -- same stratum df (the same plots)
        round(area_ha * mortality_t_c_per_ha_yr_mean * {{ factor('c_to_co2', 'all') }}, 6) as mortality_co2e_t,
        round(area_ha * mortality_t_c_per_ha_yr_ci95 * {{ factor('c_to_co2', 'all') }}, 6)
            as mortality_sampling_u95_co2e_t,
        round(area_ha * harvest_t_c_per_ha_yr_mean * {{ factor('c_to_co2', 'all') }}, 6) as harvest_co2e_t,
        round(area_ha * harvest_t_c_per_ha_yr_ci95 * {{ factor('c_to_co2', 'all') }}, 6)
            as harvest_sampling_u95_co2e_t,
        -- the sampling error of the net gain (growth - mortality - harvest): the three stratum means
        -- come from the same plots, so it is the SE of the plots' net change (paired), not the three
        -- half-widths in quadrature; the net sink's uncertainty uses this one
        round(area_ha * net_change_t_c_per_ha_yr_ci95 * {{ factor('c_to_co2', 'all') }}, 6)
            as net_sampling_u95_co2e_t,
    from candidates
    where preference = 1
)

select * from final
