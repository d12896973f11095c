-- Stratum mean annual gross carbon increment, mortality and harvest (t C/ha/yr, measured on the
-- remeasured plots) and net change, each with its standard error, per remeasurement period
-- (identified by its end year t2), strata as for the stocks: county x forest type x origin, pooled
-- city-wide by forest type x origin.
with increments as (
    select * from {{ ref('int_plots_increment_estimated') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

units as (
    select
        increments.*,
        parcels.county_code,
        parcels.forest_type,
        parcels.origin,
    from increments
    inner join parcels on increments.parcel_id = parcels.parcel_id
),

estimates as (
    {{ stratum_estimates(
        'units',
        ['county_code', 'forest_type', 'origin'],
        ['forest_type', 'origin'],
        'year_t1, year_t2',
        ['gross_increment_t_c_per_ha_yr', 'mortality_t_c_per_ha_yr', 'harvest_t_c_per_ha_yr',
         'net_change_t_c_per_ha_yr']
    ) }}
),

final as (
    select
        *,
        -- 95 % half-width with Student's t at the stratum's df (macro stratum_estimates)
        t_975 * gross_increment_t_c_per_ha_yr_se as gross_increment_t_c_per_ha_yr_ci95,
        t_975 * mortality_t_c_per_ha_yr_se as mortality_t_c_per_ha_yr_ci95,
        t_975 * harvest_t_c_per_ha_yr_se as harvest_t_c_per_ha_yr_ci95,
        t_975 * net_change_t_c_per_ha_yr_se as net_change_t_c_per_ha_yr_ci95,
    from estimates
)

select * from final
