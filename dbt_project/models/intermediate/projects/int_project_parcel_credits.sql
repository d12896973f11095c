-- Ex-post credits per project, parcel and vintage year: the parcel's measured removals by stock
-- difference between remeasured inventory cycles (int_forest_sink_annual, method
-- stock_difference: fct_carbon_stock at t1 and t2, annualised over t1+1..t2) in the years of the
-- crediting period, less the methodology's baseline, leakage and uncertainty deduction. Gain-loss
-- years (no remeasurement yet) are not credited.
--   baseline_t   zero, or (non_project_same_stratum) the removals per ha of the non-project
--                parcels of the same stratum and year x the parcel's area
--   leakage_t    leakage_fraction x max(gross - baseline, 0) (never negative: no leakage credit)
--   uncertainty  deduction_share x max(gross - baseline - leakage, 0), the share from the
--                project's 90 % half-width (int_project_uncertainty)
with projects as (
    select * from {{ ref('stg_projects__projects') }}
),

project_parcels as (
    select * from {{ ref('stg_projects__parcels') }}
),

rules as (
    select * from {{ ref('int_project_rules_pivoted') }}
),

sink as (
    select * from {{ ref('int_forest_sink_annual') }}
    where method = 'stock_difference'
),

uncertainty as (
    select * from {{ ref('int_project_uncertainty') }}
),

in_project as (
    select
        projects.project_id,
        projects.scheme_code,
        project_parcels.parcel_id,
        sink.year as vintage,
        sink.stratum_id,
        sink.area_mu / 15.0 as area_ha,
        sink.removals_co2e_t as gross_removals_t,
        rules.baseline_method,
        coalesce(rules.leakage_fraction, 0) as leakage_fraction,
    from projects
    inner join project_parcels on projects.project_id = project_parcels.project_id
    inner join sink on project_parcels.parcel_id = sink.parcel_id
        and sink.year >= extract(year from projects.crediting_start)
        and sink.year < extract(year from projects.crediting_end)
    left join rules on projects.methodology = rules.methodology
),

benchmark as (
    -- removals per ha of the parcels in no project that year, per stratum
    select sink.stratum_id, sink.year, sum(sink.removals_co2e_t) / nullif(sum(sink.area_mu / 15.0), 0) as removals_t_per_ha
    from sink
    anti join in_project on sink.parcel_id = in_project.parcel_id and sink.year = in_project.vintage
    group by sink.stratum_id, sink.year
),

baselined as (
    select
        in_project.*,
        case in_project.baseline_method
            when 'non_project_same_stratum' then greatest(coalesce(benchmark.removals_t_per_ha, 0), 0) * in_project.area_ha
            else 0.0
        end as baseline_t,
    from in_project
    left join benchmark on in_project.stratum_id = benchmark.stratum_id and in_project.vintage = benchmark.year
),

final as (
    select
        baselined.project_id,
        baselined.scheme_code,
        baselined.parcel_id,
        baselined.vintage,
        {{ measure('baselined.gross_removals_t') }} as gross_removals_t,
        {{ measure('baselined.baseline_t') }} as baseline_t,
        {{ measure('baselined.leakage_fraction * greatest(baselined.gross_removals_t - baselined.baseline_t, 0)') }} as leakage_t,
        {{ measure('coalesce(uncertainty.deduction_share, 0) * greatest((1 - baselined.leakage_fraction) * (baselined.gross_removals_t - baselined.baseline_t), 0)') }} as uncertainty_deduction_t,
    from baselined
    left join uncertainty on baselined.project_id = uncertainty.project_id and baselined.vintage = uncertainty.vintage
)

select * from final
