-- The 2025 indicators of the pilot-zone plan, per year, against their targets (seed_targets).
-- forest_coverage_pct          forest parcel area / land area: the city's official 27,768 km2
--                              (seed_carbon_factors baotou_total_area), a county's measured polygon
-- forest_stock_m3              stem volume of live trees (allometric stem mass / basic wood density)
-- grassland_cvc_pct            comprehensive vegetation cover: area-weighted mean quadrat cover by
--                              grassland type (杨智 & 徐斌 2019 definition)
-- wetland_protection_rate_pct  protected wetland area / total wetland area (same survey year)
-- sink_project_area*_mu        area of parcels enrolled in a carbon-sink project
-- demo_forest_area_mu          demonstration carbon forest planted per county and year (>= 500 mu)
with parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

counties as (
    select * from {{ ref('seed_counties') }}
),

targets as (
    select * from {{ ref('seed_targets') }}
),

stock as (
    select * from {{ ref('fct_carbon_stock') }}
),

grassland_cover as (
    select * from {{ ref('int_grassland_cover_indicator') }}
),

wetland_protection as (
    select * from {{ ref('int_wetland_protection_rate') }}
),

demo as (
    select * from {{ ref('stg_survey__demo_forests') }}
),

mu_per_km2 as (
    select 1000000.0 / value as value from {{ ref('seed_carbon_factors') }}
    where parameter = 'area_mu_m2' and stratum = 'unit'
),

-- land area, the denominator of forest cover: the city's official figure (the plan's 18.3 % of
-- 2021 is 760万亩 over it), each county's measured boundary polygon (no official figure for
-- today's county boundaries)
land_areas as (
    select 'city' as scope, '150200' as scope_id, value as land_area_km2,
        'official: seed_carbon_factors baotou_total_area (' || source || ')' as land_area_source,
    from {{ ref('seed_carbon_factors') }}
    where parameter = 'baotou_total_area' and stratum = 'city'
    union all
    select 'county', county_code, area_km2,
        'measured: county boundary polygon, seed_counties (' || area_source || ')',
    from counties
),

snapshot_year as (
    select max(survey_year) as year from parcels
),

forest_cover as (
    select
        'county' as scope, counties.county_code as scope_id, 'forest_coverage_pct' as indicator,
        snapshot_year.year,
        100.0 * coalesce(sum(parcels.area_mu) filter (where parcels.land_class = 'forest'), 0)
            / (any_value(counties.area_km2) * any_value(mu_per_km2.value)) as value,
    from counties
    cross join snapshot_year
    cross join mu_per_km2
    left join parcels on parcels.county_code = counties.county_code
    group by counties.county_code, snapshot_year.year
    union all
    select
        'city', '150200', 'forest_coverage_pct', snapshot_year.year,
        100.0 * (select coalesce(sum(area_mu), 0) from parcels where land_class = 'forest')
            / ((select land_area_km2 from land_areas where scope = 'city') * any_value(mu_per_km2.value)),
    from snapshot_year
    cross join mu_per_km2
    group by snapshot_year.year
),

forest_stock as (
    select 'city' as scope, '150200' as scope_id, 'forest_stock_m3' as indicator,
        inventory_year as year, sum(volume_m3) as value,
    from stock
    where land_class = 'forest'
    group by inventory_year
),

grassland_cvc as (
    select 'city' as scope, '150200' as scope_id, 'grassland_cvc_pct' as indicator,
        year, grassland_cvc_pct as value,
    from grassland_cover
),

wetland_rate as (
    select 'city' as scope, '150200' as scope_id, 'wetland_protection_rate_pct' as indicator,
        year, protection_rate_pct as value,
    from wetland_protection
),

projects as (
    select 'city' as scope, '150200' as scope_id, 'sink_project_area_mu' as indicator,
        snapshot_year.year, coalesce(sum(parcels.area_mu), 0) as value,
    from snapshot_year
    left join parcels on parcels.sink_project_id is not null
    group by snapshot_year.year
    union all
    select 'city', '150200', 'sink_project_area_' || classes.land_class || '_mu',
        snapshot_year.year, coalesce(sum(parcels.area_mu), 0),
    from snapshot_year
    cross join (values ('forest'), ('grassland'), ('wetland')) as classes (land_class)
    left join parcels
        on parcels.sink_project_id is not null and parcels.land_class = classes.land_class
    group by snapshot_year.year, classes.land_class
),

demo_years as (
    select unnest(range(
        (select min(baseline_year) from targets where baseline_year is not null),
        (select greatest(max(planting_year), max(target_year)) from demo, targets where targets.indicator = 'demo_forest_area_mu') + 1
    )) as year
),

demo_forest as (
    select 'county' as scope, counties.county_code as scope_id, 'demo_forest_area_mu' as indicator,
        cast(demo_years.year as integer) as year, coalesce(sum(demo.area_mu), 0) as value,
    from counties
    cross join demo_years
    left join demo on demo.county_code = counties.county_code and demo.planting_year = demo_years.year
    where demo_years.year <= (select max(planting_year) from demo)
    group by counties.county_code, demo_years.year
),

indicators as (
    select * from forest_cover
    union all select * from forest_stock
    union all select * from grassland_cvc
    union all select * from wetland_rate
    union all select * from projects
    union all select * from demo_forest
),

final as (
    select
        indicators.scope,
        indicators.scope_id,
        coalesce(counties.county_name_zh, '包头市') as scope_name_zh,
        indicators.indicator,
        targets.indicator_name_zh,
        targets.indicator_name_en,
        cast(indicators.year as integer) as year,
        {{ measure('indicators.value', 4) }} as value,
        targets.unit,
        case when indicators.scope = targets.scope then targets.baseline_value end as baseline_value,
        targets.target_value,
        targets.target_year,
        round(case
            when indicators.scope = targets.scope and targets.baseline_value is not null
                then 100.0 * (indicators.value - targets.baseline_value) / (targets.target_value - targets.baseline_value)
            else 100.0 * indicators.value / targets.target_value
        end, 2) as progress_pct,
        case
            -- the planned trajectory: linear from the baseline year to the target year
            when indicators.scope = targets.scope and targets.baseline_value is not null
                then indicators.value >= targets.baseline_value
                    + (targets.target_value - targets.baseline_value)
                    * least(1.0, greatest(0.0, (indicators.year - targets.baseline_year)
                        / (targets.target_year - targets.baseline_year)))
            when indicators.scope = targets.scope or targets.direction = 'at_least_every_year'
                then indicators.value >= targets.target_value
        end as is_on_track,
        targets.source as target_source,
        land_areas.land_area_km2,
        land_areas.land_area_source,
    from indicators
    inner join targets on indicators.indicator = targets.indicator
    left join counties on indicators.scope = 'county' and indicators.scope_id = counties.county_code
    left join land_areas
        on indicators.indicator = 'forest_coverage_pct'
        and indicators.scope = land_areas.scope
        and indicators.scope_id = land_areas.scope_id
)

select * from final
