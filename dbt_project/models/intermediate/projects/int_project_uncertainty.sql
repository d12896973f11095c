-- The 95 % (IPCC Approach 1) and 90 % half-width of each project's ex-post removals per vintage,
-- from the uncertainty terms of its parcels' removals (int_forest_sink_annual: the stratum
-- estimates' sampling error, paired for remeasured plots, and the carbon-fraction, BCEF_S and R
-- factor ranges). Terms sharing a key (one stratum estimate, one factor) are summed first (fully
-- correlated), the keys then added in quadrature (Eq 3.2; macro approach1_u95). The 90 % width is
-- the 95 % width x z90 / z95 (normal). The deduction share is the part of the 90 % half-width, as a
-- share of the removals, above the methodology's threshold (seed_methodology_rules, status A).
with projects as (
    select * from {{ ref('stg_projects__projects') }}
),

project_parcels as (
    select * from {{ ref('stg_projects__parcels') }}
),

rules as (
    select * from {{ ref('int_project_rules_pivoted') }}
),

z as (
    select
        max(cast(value as double)) filter (where rule = 'z90') as z90,
        max(cast(value as double)) filter (where rule = 'z95') as z95,
    from {{ ref('seed_methodology_rules') }}
    where methodology = 'all'
),

sink as (
    select sink.*, projects.project_id
    from {{ ref('int_forest_sink_annual') }} as sink
    inner join project_parcels on sink.parcel_id = project_parcels.parcel_id
    inner join projects on project_parcels.project_id = projects.project_id
        and sink.year >= extract(year from projects.crediting_start)
        and sink.year < extract(year from projects.crediting_end)
    where sink.method = 'stock_difference'
),

terms as (
    select project_id, year as vintage, 'sampling' as uncertainty_kind, 'sampling|' || sampling_key_1 as uncertainty_key,
        sampling_u95_1_co2e_t as u95_co2e_t
    from sink
    union all
    select project_id, year, 'sampling', 'sampling|' || sampling_key_2, sampling_u95_2_co2e_t
    from sink where sampling_key_2 is not null
    union all
    select project_id, year, 'factor', 'factor|carbon_fraction_biomass|' || cf_stratum, removals_co2e_t * cf_u95_pct / 100.0
    from sink
    union all
    select project_id, year, 'factor', 'factor|bcef_s|temperate', bcef_s_u95_co2e_t
    from sink
    union all
    select project_id, year, 'factor', 'factor|root_shoot|temperate_asia', root_shoot_u95_co2e_t
    from sink
),

approach1 as (
    {{ approach1_u95('terms', ['project_id', 'vintage']) }}
),

gross as (
    select project_id, year as vintage, sum(removals_co2e_t order by parcel_id) as gross_removals_t
    from sink
    group by project_id, year
),

final as (
    select
        gross.project_id,
        gross.vintage,
        gross.gross_removals_t,
        approach1.u95_co2e_t,
        approach1.u95_co2e_t * z.z90 / z.z95 as u90_co2e_t,
        100.0 * approach1.u95_co2e_t * z.z90 / z.z95 / nullif(abs(gross.gross_removals_t), 0) as u90_pct,
        rules.uncertainty_threshold_u90_pct,
        greatest(
            coalesce(100.0 * approach1.u95_co2e_t * z.z90 / z.z95 / nullif(abs(gross.gross_removals_t), 0), 100.0)
            - coalesce(rules.uncertainty_threshold_u90_pct, 0),
            0
        ) / 100.0 as deduction_share_raw,
    from gross
    inner join approach1 on gross.project_id = approach1.project_id and gross.vintage = approach1.vintage
    inner join projects on gross.project_id = projects.project_id
    left join rules on projects.methodology = rules.methodology
    cross join z
),

capped as (
    -- rounded to 6 decimals: reproducible by hand (the unit test) and bit-identical on reruns
    select
        project_id,
        vintage,
        round(gross_removals_t, 6) as gross_removals_t,
        round(u95_co2e_t, 6) as u95_co2e_t,
        round(u90_co2e_t, 6) as u90_co2e_t,
        round(u90_pct, 6) as u90_pct,
        uncertainty_threshold_u90_pct,
        round(least(deduction_share_raw, 1.0), 6) as deduction_share,
    from final
)

select * from capped
