-- Demonstration carbon forest (碳汇示范林) planted per county and year against the plan's rule:
-- every banner/county/district plants at least 500 mu every year of the 14th Five-Year Plan
-- (seed_targets.demo_forest_area_mu; pilot-zone implementation plan 2021-10-08 s4(3)).
with counties as (
    select * from {{ ref('seed_counties') }}
),

demo as (
    select * from {{ ref('stg_survey__demo_forests') }}
),

rule as (
    select * from {{ ref('seed_targets') }} where indicator = 'demo_forest_area_mu'
),

years as (
    select cast(unnest(range(min(planting_year), max(planting_year) + 1)) as integer) as year
    from demo
),

planted as (
    select county_code, planting_year as year, sum(area_mu) as planted_area_mu, count(*) as n_sites
    from demo
    group by county_code, planting_year
),

final as (
    select
        counties.county_code,
        counties.county_name_zh,
        years.year,
        {{ measure('coalesce(planted.planted_area_mu, 0)', 4) }} as planted_area_mu,
        coalesce(planted.n_sites, 0) as n_sites,
        rule.target_value as required_min_area_mu,
        coalesce(planted.planted_area_mu, 0) >= rule.target_value as is_compliant,
        {{ measure('greatest(rule.target_value - coalesce(planted.planted_area_mu, 0), 0)', 4) }} as shortfall_mu,
        rule.source as rule_source,
    from counties
    cross join years
    cross join rule
    left join planted on counties.county_code = planted.county_code and years.year = planted.year
)

select * from final
