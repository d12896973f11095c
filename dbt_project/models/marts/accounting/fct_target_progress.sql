-- The 2025 indicators of the pilot-zone plan, per year, against their targets (seed_targets).
-- Every indicator is a yearly series: one row per year in which the data measure it.
-- forest_coverage_pct          forest parcel area / land area: the city's official 27,768 km2
--                              (seed_carbon_factors baotou_total_area), a county's measured polygon
-- forest_stock_m3              stem volume of live trees per inventory cycle: read from volume
--                              tables where the station reports it, otherwise allometric stem mass
--                              / basic wood density, a proxy (method, proxy_share_pct)
-- grassland_cvc_pct            comprehensive vegetation cover: area-weighted mean quadrat cover by
--                              grassland type (杨智 & 徐斌 2019 definition)
-- wetland_protection_rate_pct  protected wetland area / total wetland area (same survey year)
-- sink_project_area*_mu        area of parcels enrolled in a carbon-sink project
-- demo_forest_area_mu          demonstration carbon forest planted per county and year (>= 500 mu)
-- Parcel-based indicators (forest cover, project area) are computed for every survey year from
-- the year by which every parcel of the layer has been surveyed: each parcel as its latest survey
-- at or before that year describes it (a year with unsurveyed parcels would count them as nothing).
-- Progress: where the sample has its own value in the plan's baseline year, progress is measured
-- from it (the sample's level may differ from the official baseline; that difference is its own
-- column) against the plan's planned change (target - official baseline); without an own
-- baseline-year value, from the official baseline; without a baseline, value / target.
with parcel_surveys as (
    select * from {{ ref('stg_survey__parcel_surveys') }}
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

-- survey years from the one by which every parcel has a survey
layer_years as (
    select distinct parcel_surveys.survey_year as year
    from parcel_surveys
    where parcel_surveys.survey_year >= (
        select max(first_year)
        from (select min(survey_year) as first_year from parcel_surveys group by parcel_id)
    )
),

-- each parcel in each of those years, as its latest survey at or before the year describes it
parcel_states as (
    select
        layer_years.year,
        parcel_surveys.parcel_id,
        parcel_surveys.county_code,
        parcel_surveys.land_class,
        parcel_surveys.sink_project_id,
        parcel_surveys.area_mu,
    from layer_years
    inner join parcel_surveys on parcel_surveys.survey_year <= layer_years.year
    qualify row_number() over (
        partition by layer_years.year, parcel_surveys.parcel_id
        order by parcel_surveys.survey_year desc
    ) = 1
),

forest_cover as (
    select
        'county' as scope, counties.county_code as scope_id, 'forest_coverage_pct' as indicator,
        layer_years.year,
        100.0 * coalesce(sum(parcel_states.area_mu) filter (where parcel_states.land_class = 'forest'), 0)
            / (any_value(counties.area_km2) * any_value(mu_per_km2.value)) as value,
        'forest_parcel_area_over_measured_land_area' as method,
        cast(null as double) as proxy_share_pct,
    from counties
    cross join layer_years
    cross join mu_per_km2
    left join parcel_states
        on parcel_states.county_code = counties.county_code and parcel_states.year = layer_years.year
    group by counties.county_code, layer_years.year
    union all
    select
        'city', '150200', 'forest_coverage_pct', layer_years.year,
        100.0 * coalesce(sum(parcel_states.area_mu) filter (where parcel_states.land_class = 'forest'), 0)
            / (any_value(land_areas.land_area_km2) * any_value(mu_per_km2.value)),
        'forest_parcel_area_over_official_land_area',
        null,
    from layer_years
    cross join mu_per_km2
    inner join land_areas on land_areas.scope = 'city'
    left join parcel_states on parcel_states.year = layer_years.year
    group by layer_years.year
),

-- 蓄积 is stem volume from volume tables; stem mass / wood density is a proxy of it
forest_stock as (
    select 'city' as scope, '150200' as scope_id, 'forest_stock_m3' as indicator,
        inventory_year as year, sum(volume_m3) as value,
        case
            when coalesce(sum(volume_table_m3), 0) >= sum(volume_m3) then 'volume_table'
            when coalesce(sum(volume_table_m3), 0) = 0 then 'proxy_stem_mass_over_wood_density'
            else 'mixed_volume_table_and_proxy'
        end as method,
        100.0 * (sum(volume_m3) - coalesce(sum(volume_table_m3), 0)) / nullif(sum(volume_m3), 0)
            as proxy_share_pct,
    from stock
    where land_class = 'forest'
    group by inventory_year
),

grassland_cvc as (
    select 'city' as scope, '150200' as scope_id, 'grassland_cvc_pct' as indicator,
        year, grassland_cvc_pct as value,
        'plot_cover_area_weighted_by_grassland_type' as method, cast(null as double) as proxy_share_pct,
    from grassland_cover
),

wetland_rate as (
    select 'city' as scope, '150200' as scope_id, 'wetland_protection_rate_pct' as indicator,
        year, protection_rate_pct as value,
        'protected_over_surveyed_wetland_area' as method, cast(null as double) as proxy_share_pct,
    from wetland_protection
),

projects as (
    select 'city' as scope, '150200' as scope_id, 'sink_project_area_mu' as indicator,
        layer_years.year, coalesce(sum(parcel_states.area_mu), 0) as value,
        'enrolled_parcel_area' as method, cast(null as double) as proxy_share_pct,
    from layer_years
    left join parcel_states
        on parcel_states.year = layer_years.year and parcel_states.sink_project_id is not null
    group by layer_years.year
    union all
    select 'city', '150200', 'sink_project_area_' || classes.land_class || '_mu',
        layer_years.year, coalesce(sum(parcel_states.area_mu), 0),
        'enrolled_parcel_area', null,
    from layer_years
    cross join (values ('forest'), ('grassland'), ('wetland')) as classes (land_class)
    left join parcel_states
        on parcel_states.year = layer_years.year
        and parcel_states.sink_project_id is not null
        and parcel_states.land_class = classes.land_class
    group by layer_years.year, classes.land_class
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
        'planted_area_per_county_year' as method, cast(null as double) as proxy_share_pct,
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

-- the sample's own value in the plan's baseline year (scope of the target only)
sample_baselines as (
    select
        indicators.indicator,
        indicators.scope_id,
        indicators.value as sample_baseline_value,
    from indicators
    inner join targets
        on indicators.indicator = targets.indicator
        and indicators.scope = targets.scope
        and indicators.year = targets.baseline_year
    where targets.baseline_value is not null
),

assessed as (
    select
        indicators.*,
        targets.indicator_name_zh,
        targets.indicator_name_en,
        targets.unit,
        targets.baseline_year,
        case when indicators.scope = targets.scope then targets.baseline_value end as baseline_value,
        targets.target_value,
        targets.target_year,
        targets.direction,
        targets.scope as target_scope,
        targets.source as target_source,
        sample_baselines.sample_baseline_value,
        case
            when indicators.scope = targets.scope and targets.baseline_value is not null
                and sample_baselines.sample_baseline_value is not null then 'own_baseline_year_value'
            when indicators.scope = targets.scope and targets.baseline_value is not null then 'official_baseline'
            else 'target_only'
        end as progress_basis,
        -- where progress starts: the sample's own baseline-year value, else the official baseline
        coalesce(sample_baselines.sample_baseline_value, targets.baseline_value) as progress_start,
    from indicators
    inner join targets on indicators.indicator = targets.indicator
    left join sample_baselines
        on indicators.indicator = sample_baselines.indicator
        and indicators.scope = targets.scope
        and indicators.scope_id = sample_baselines.scope_id
),

-- progress and the trajectory check are computed from the values as published (4 decimals):
-- two floating-point sums of the same parcels added in another order differ in the last bit, so
-- an unchanged indicator would otherwise show a progress of +0.00 or -0.00 from one rebuild to the
-- next (and a figure could be on track by less than its last published digit)
published as (
    select * replace (
        round(value, 4) as value,
        round(sample_baseline_value, 4) as sample_baseline_value,
        round(progress_start, 4) as progress_start
    )
    from assessed
),

final as (
    select
        assessed.scope,
        assessed.scope_id,
        coalesce(counties.county_name_zh, '包头市') as scope_name_zh,
        assessed.indicator,
        assessed.indicator_name_zh,
        assessed.indicator_name_en,
        cast(assessed.year as integer) as year,
        {{ measure('assessed.value', 4) }} as value,
        assessed.unit,
        assessed.baseline_value,
        {{ measure('assessed.sample_baseline_value', 4) }} as sample_baseline_value,
        {{ measure('assessed.sample_baseline_value - assessed.baseline_value', 4) }} as baseline_difference,
        assessed.target_value,
        assessed.target_year,
        assessed.progress_basis,
        round(case
            when assessed.progress_basis = 'target_only' then 100.0 * assessed.value / assessed.target_value
            -- the observed change since the start against the plan's planned change
            else 100.0 * (assessed.value - assessed.progress_start)
                / (assessed.target_value - assessed.baseline_value)
        end, 2) as progress_pct,
        case
            -- the baseline year itself: nothing to assess yet
            when assessed.progress_basis <> 'target_only' and assessed.year <= assessed.baseline_year
                then null
            -- the planned trajectory: linear from the baseline year to the target year
            when assessed.progress_basis <> 'target_only'
                then assessed.value - assessed.progress_start
                    >= (assessed.target_value - assessed.baseline_value)
                    * least(1.0, (assessed.year - assessed.baseline_year)
                        / (assessed.target_year - assessed.baseline_year))
            when assessed.progress_basis = 'target_only'
                and (assessed.scope = assessed.target_scope or assessed.direction = 'at_least_every_year')
                then assessed.value >= assessed.target_value
        end as is_on_track,
        assessed.method,
        round(assessed.proxy_share_pct, 2) as proxy_share_pct,
        assessed.target_source,
        land_areas.land_area_km2,
        land_areas.land_area_source,
    from published as assessed
    left join counties on assessed.scope = 'county' and assessed.scope_id = counties.county_code
    left join land_areas
        on assessed.indicator = 'forest_coverage_pct'
        and assessed.scope = land_areas.scope
        and assessed.scope_id = land_areas.scope_id
)

select * from final
