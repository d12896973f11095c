-- Each of the 22 carbon-sink development zones: planned and surveyed area, enrolled sink-project
-- area, net sink of the latest year (with its Approach 1 uncertainty), the mean and linear trend
-- of the net sink over the years reported, and the disturbance losses.
with zones as (
    select * from {{ ref('dim_zones') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

components as (
    select * from {{ ref('int_sink_components') }}
),

terms as (
    select * from {{ ref('int_sink_uncertainty_terms') }}
),

projects as (
    select zone_id, sum(area_mu) as project_area_mu
    from parcels
    where zone_id is not null and sink_project_id is not null
    group by zone_id
),

zone_years as (
    select
        zone_id,
        year,
        sum(net_contribution_co2e_t) as net_sink_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_fire_co2') as loss_fire_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_pest_co2') as loss_pest_co2e_t,
        sum(amount_co2e_t) filter (where component = 'fire_non_co2') as fire_non_co2_co2e_t,
        sum(net_contribution_co2e_t) filter (where component in ('soc_gain', 'soc_loss')) as soc_change_co2e_t,
        string_agg(distinct method, ',' order by method) as methods,
    from components
    where zone_id is not null
    group by zone_id, year
),

uncertainty as (
    {{ approach1_u95('terms', ['zone_id', 'year']) }}
),

latest_year as (
    select max(year) as year from components
),

summary as (
    select
        zone_id,
        count(*) as n_years,
        min(year) as first_year,
        avg(net_sink_co2e_t) as net_sink_mean_co2e_t,
        regr_slope(net_sink_co2e_t, year) as net_sink_trend_co2e_t_per_yr,
        sum(coalesce(loss_fire_co2e_t, 0)) as loss_fire_total_co2e_t,
        sum(coalesce(loss_pest_co2e_t, 0)) as loss_pest_total_co2e_t,
        sum(coalesce(fire_non_co2_co2e_t, 0)) as fire_non_co2_total_co2e_t,
        sum(coalesce(soc_change_co2e_t, 0)) as soc_change_total_co2e_t,
    from zone_years
    group by zone_id
),

final as (
    select
        zones.zone_id,
        zones.zone_name_zh,
        zones.zone_name_en,
        zones.land_class,
        zones.county_code,
        zones.planned_area_mu,
        zones.parcel_area_mu,
        zones.n_parcels,
        round(100.0 * zones.parcel_area_mu / nullif(zones.planned_area_mu, 0), 2) as parcel_area_pct_of_planned,
        {{ measure('coalesce(projects.project_area_mu, 0)', 4) }} as project_area_mu,
        latest_year.year as latest_year,
        zone_years.methods as latest_methods,
        {{ measure('coalesce(zone_years.net_sink_co2e_t, 0)') }} as net_sink_latest_co2e_t,
        {{ measure('coalesce(uncertainty.u95_co2e_t, 0)') }} as net_sink_latest_u95_co2e_t,
        {{ measure('coalesce(zone_years.loss_fire_co2e_t, 0)') }} as loss_fire_latest_co2e_t,
        {{ measure('coalesce(zone_years.loss_pest_co2e_t, 0)') }} as loss_pest_latest_co2e_t,
        {{ measure('coalesce(zone_years.soc_change_co2e_t, 0)') }} as soc_change_latest_co2e_t,
        coalesce(summary.n_years, 0) as n_years,
        summary.first_year,
        {{ measure('summary.net_sink_mean_co2e_t') }} as net_sink_mean_co2e_t,
        {{ measure('summary.net_sink_trend_co2e_t_per_yr') }} as net_sink_trend_co2e_t_per_yr,
        {{ measure('coalesce(summary.loss_fire_total_co2e_t, 0)') }} as loss_fire_total_co2e_t,
        {{ measure('coalesce(summary.loss_pest_total_co2e_t, 0)') }} as loss_pest_total_co2e_t,
        {{ measure('coalesce(summary.fire_non_co2_total_co2e_t, 0)') }} as fire_non_co2_total_co2e_t,
        {{ measure('coalesce(summary.soc_change_total_co2e_t, 0)') }} as soc_change_total_co2e_t,
        'removal_positive' as sign_convention,
    from zones
    cross join latest_year
    left join projects on zones.zone_id = projects.zone_id
    left join zone_years on zones.zone_id = zone_years.zone_id and zone_years.year = latest_year.year
    left join uncertainty on zones.zone_id = uncertainty.zone_id and uncertainty.year = latest_year.year
    left join summary on zones.zone_id = summary.zone_id
)

select * from final
