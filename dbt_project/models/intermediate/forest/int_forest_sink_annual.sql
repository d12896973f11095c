-- One row per tree-forest parcel and year with the single method that gives its sink:
-- stock_difference where a remeasurement interval covers the year, gain_loss otherwise.
-- Tested: one method per parcel-year and per stratum-year (never both).
-- Mortality and harvest measured on the remeasured plots (IPCC 2006 V4 Ch2 Eq 2.11-2.13,
-- int_forest_sink_gain_loss) are carried on every row: deducted where the method is gain_loss
-- (removals there are gross growth), an "of which" inside the stock change where it is
-- stock_difference (int_sink_components decides).
-- Factor uncertainty of the volume x BCEF route (IPCC Approach 1): the stock's BCEF_S and R terms
-- (95 % half-widths in t C/ha, int_plots_carbon_estimated) follow the stock: for a stock difference
-- their change over the interval (the same factors apply at both cycles of a plot, so the shared
-- part cancels), for gain-loss the net gain (growth - mortality - harvest) x their share of the
-- stock at the increment period's t2.
with stock_difference as (
    select * from {{ ref('int_forest_sink_stock_difference') }}
),

gain_loss_all_years as (
    select * from {{ ref('int_forest_sink_gain_loss') }}
),

gain_loss as (
    select * from gain_loss_all_years
    where not is_stock_difference_year
),

parcels as (
    select distinct parcel_id, forest_type, origin, cf_stratum, area_ha
    from {{ ref('int_forest_parcels_estimated') }}
),

factors as (
    select * from {{ ref('int_factors_uncertainty') }}
),

stock as (
    select
        parcel_id,
        inventory_year,
        area_ha,
        carbon_t_per_ha_mean,
        bcef_s_u95_t_c_per_ha_mean,
        root_shoot_u95_t_c_per_ha_mean,
    from {{ ref('int_forest_parcels_estimated') }}
),

unioned as (
    select
        stock_difference.parcel_id,
        stock_difference.year,
        stock_difference.county_code,
        stock_difference.zone_id,
        stock_difference.land_class,
        stock_difference.area_mu,
        'stock_difference' as method,
        stock_difference.stratum_id_t2 as stratum_id,
        stock_difference.removals_co2e_t,
        case
            when stock_difference.is_sampling_paired
                then 'forest_change|' || stock_difference.stratum_id_t2 || '|' || stock_difference.year_t1 || '-' || stock_difference.year_t2
            else 'forest_stock|' || stock_difference.stratum_id_t1 || '|' || stock_difference.year_t1
        end as sampling_key_1,
        case
            when stock_difference.is_sampling_paired then stock_difference.sampling_u95_t1_co2e_t
            else -stock_difference.sampling_u95_t1_co2e_t
        end as sampling_u95_1_co2e_t,
        case when not stock_difference.is_sampling_paired
            then 'forest_stock|' || stock_difference.stratum_id_t2 || '|' || stock_difference.year_t2
        end as sampling_key_2,
        stock_difference.sampling_u95_t2_co2e_t as sampling_u95_2_co2e_t,
        stock_difference.year_t1,
        stock_difference.year_t2,
    from stock_difference
    union all
    select
        parcel_id,
        year,
        county_code,
        zone_id,
        land_class,
        area_mu,
        'gain_loss',
        stratum_id,
        removals_co2e_t,
        'forest_increment|' || stratum_id || '|' || increment_year_t1 || '-' || increment_year_t2,
        removals_sampling_u95_co2e_t,
        null,
        0.0,
        increment_year_t1,
        increment_year_t2,
    from gain_loss
),

volume_route_terms as (
    select
        unioned.parcel_id,
        unioned.year,
        case unioned.method
            when 'stock_difference'
                then t2.area_ha * (t2.bcef_s_u95_t_c_per_ha_mean - t1.bcef_s_u95_t_c_per_ha_mean)
                    / (unioned.year_t2 - unioned.year_t1) * {{ factor('c_to_co2', 'all') }}
            else (unioned.removals_co2e_t - coalesce(losses.mortality_co2e_t, 0) - coalesce(losses.harvest_co2e_t, 0))
                * t2.bcef_s_u95_t_c_per_ha_mean / nullif(t2.carbon_t_per_ha_mean, 0)
        end as bcef_s_u95_co2e_t,
        case unioned.method
            when 'stock_difference'
                then t2.area_ha * (t2.root_shoot_u95_t_c_per_ha_mean - t1.root_shoot_u95_t_c_per_ha_mean)
                    / (unioned.year_t2 - unioned.year_t1) * {{ factor('c_to_co2', 'all') }}
            else (unioned.removals_co2e_t - coalesce(losses.mortality_co2e_t, 0) - coalesce(losses.harvest_co2e_t, 0))
                * t2.root_shoot_u95_t_c_per_ha_mean / nullif(t2.carbon_t_per_ha_mean, 0)
        end as root_shoot_u95_co2e_t,
    from unioned
    left join gain_loss_all_years as losses
        on unioned.parcel_id = losses.parcel_id and unioned.year = losses.year
    left join stock as t1 on unioned.parcel_id = t1.parcel_id and unioned.year_t1 = t1.inventory_year
    left join stock as t2 on unioned.parcel_id = t2.parcel_id and unioned.year_t2 = t2.inventory_year
),

final as (
    select
        unioned.parcel_id,
        unioned.year,
        unioned.county_code,
        unioned.zone_id,
        unioned.land_class,
        unioned.area_mu,
        unioned.method,
        unioned.stratum_id,
        unioned.removals_co2e_t,
        unioned.sampling_key_1,
        unioned.sampling_u95_1_co2e_t,
        unioned.sampling_key_2,
        unioned.sampling_u95_2_co2e_t,
        sqrt(unioned.sampling_u95_1_co2e_t ^ 2 + unioned.sampling_u95_2_co2e_t ^ 2) as removals_sampling_u95_co2e_t,
        parcels.cf_stratum,
        coalesce(cf.u95_pct, 0) as cf_u95_pct,
        -- measured losses on the plots (stratum means of the nearest remeasurement period)
        coalesce(losses.mortality_co2e_t, 0) as mortality_co2e_t,
        coalesce(losses.harvest_co2e_t, 0) as harvest_co2e_t,
        'forest_mortality|' || losses.stratum_id || '|' || losses.increment_year_t1 || '-' || losses.increment_year_t2
            as mortality_sampling_key,
        coalesce(losses.mortality_sampling_u95_co2e_t, 0) as mortality_sampling_u95_co2e_t,
        'forest_harvest|' || losses.stratum_id || '|' || losses.increment_year_t1 || '-' || losses.increment_year_t2
            as harvest_sampling_key,
        coalesce(losses.harvest_sampling_u95_co2e_t, 0) as harvest_sampling_u95_co2e_t,
        -- gain-loss years: the sampling error of the net gain (growth - mortality - harvest of the
        -- same plots = their net change; int_forest_sink_gain_loss), the key of the stratum's
        -- paired net change, which the stock difference of the same stratum and period also uses
        case when unioned.method = 'gain_loss'
            then 'forest_change|' || losses.stratum_id || '|' || losses.increment_year_t1 || '-' || losses.increment_year_t2
        end as net_sampling_key,
        case when unioned.method = 'gain_loss' then coalesce(losses.net_sampling_u95_co2e_t, 0) else 0.0 end
            as net_sampling_u95_co2e_t,
        coalesce(volume_route_terms.bcef_s_u95_co2e_t, 0) as bcef_s_u95_co2e_t,
        coalesce(volume_route_terms.root_shoot_u95_co2e_t, 0) as root_shoot_u95_co2e_t,
        -- IPCC Approach 1, Eq 3.1: sampling, carbon-fraction and (volume route) BCEF_S and R
        -- uncertainty of the parcel's removals
        sqrt(
            unioned.sampling_u95_1_co2e_t ^ 2 + unioned.sampling_u95_2_co2e_t ^ 2
            + (unioned.removals_co2e_t * coalesce(cf.u95_pct, 0) / 100.0) ^ 2
            + coalesce(volume_route_terms.bcef_s_u95_co2e_t, 0) ^ 2
            + coalesce(volume_route_terms.root_shoot_u95_co2e_t, 0) ^ 2
        ) as removals_u95_co2e_t,
    from unioned
    left join volume_route_terms
        on unioned.parcel_id = volume_route_terms.parcel_id and unioned.year = volume_route_terms.year
    left join parcels on unioned.parcel_id = parcels.parcel_id
    left join gain_loss_all_years as losses
        on unioned.parcel_id = losses.parcel_id and unioned.year = losses.year
    left join factors as cf on cf.parameter = 'carbon_fraction_biomass' and cf.stratum = parcels.cf_stratum
)

select * from final
