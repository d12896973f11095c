-- Cross-mart checks for the gate, one row per check subject:
--   zone:      parcel area assigned to a zone against the zone's planned area
--   indicator: each plan indicator present in the reporting year
--   sink_yoy:  city net sink per land class against the previous year
--   method_overlap: forest sink by gain-loss against stock difference in the years where both can
--              be computed (int_forest_method_overlap: |difference| / the smaller 95 % half-width;
--              IPCC 2006 V1 Ch5 time-series consistency)
with zones as (
    select * from {{ ref('dim_zones') }}
),

progress as (
    select * from {{ ref('fct_target_progress') }}
),

sink as (
    select * from {{ ref('fct_annual_sink') }}
),

method_overlap as (
    select * from {{ ref('int_forest_method_overlap') }}
),

reporting_year as (
    select max(year) as year from progress where scope = 'city'
),

zone_checks as (
    select
        'zone' as check_kind,
        zone_id as subject,
        round(parcel_area_mu / nullif(planned_area_mu, 0), 6) as ratio,
    from zones
),

targets as (
    select * from {{ ref('seed_targets') }}
),

indicator_checks as (
    -- ratio 1 when the indicator is reported for the reporting year, 0 when it is missing
    select
        'indicator' as check_kind,
        targets.indicator as subject,
        case when count(progress.indicator) > 0 then 1.0 else 0.0 end as ratio,
    from targets
    cross join reporting_year
    left join progress
        on progress.indicator = targets.indicator and progress.year = reporting_year.year
    group by targets.indicator
),

city_sink as (
    select land_class, year, sum(net_sink_co2e_t) as net_sink_co2e_t
    from sink
    group by land_class, year
),

with_previous as (
    select
        *,
        lag(net_sink_co2e_t) over (partition by land_class order by year) as previous_net_sink_co2e_t,
    from city_sink
),

yoy as (
    -- only where the previous year was a net sink: a ratio to a small emission means nothing
    select
        'sink_yoy' as check_kind,
        land_class || ':' || year as subject,
        round(net_sink_co2e_t / previous_net_sink_co2e_t, 6) as ratio,
    from with_previous
    where previous_net_sink_co2e_t > 0
),

overlap_checks as (
    select
        'method_overlap' as check_kind,
        'forest:' || year as subject,
        ratio,
    from method_overlap
)

select * from zone_checks
union all
select * from indicator_checks
union all
select * from yoy
union all
select * from overlap_checks
