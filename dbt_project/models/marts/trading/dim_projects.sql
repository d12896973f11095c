-- The project reserve (碳汇项目储备): every project with its methodology, dates, parcels and
-- applicability. A project that fails a condition stays here with its reasons (each naming the
-- clause and its P/S/A status).
with projects as (
    select * from {{ ref('stg_projects__projects') }}
),

failures as (
    select * from {{ ref('int_project_eligibility') }}
),

parcels as (
    select * from {{ ref('int_project_parcels_assessed') }}
),

rules as (
    select * from {{ ref('int_project_rules_pivoted') }}
),

parcel_summary as (
    select
        project_id,
        count(*) as n_parcels,
        sum(area_mu) as parcels_area_mu,
        sum(n_plots_inside) as n_plots_inside,
        string_agg(parcel_id, ';' order by parcel_id) as parcel_ids,
    from parcels
    group by project_id
),

reasons as (
    select
        project_id,
        count(*) as n_failed_conditions,
        string_agg(reason || ' [' || coalesce(clause, rule) || '; ' || coalesce(clause_status, 'A') || ']', '; '
            order by rule, condition) as ineligibility_reasons,
        string_agg(distinct condition, ',' order by condition) as failed_conditions,
    from failures
    group by project_id
),

final as (
    select
        projects.project_id,
        projects.project_name,
        projects.project_type,
        projects.methodology,
        projects.scheme_code,
        projects.scheme_code in ('CCER', 'LOCAL') as is_ledger_scheme,
        projects.owner,
        projects.start_date,
        projects.crediting_start,
        projects.crediting_years,
        projects.crediting_end,
        {{ measure('projects.planned_area_mu', 4) }} as planned_area_mu,
        projects.species,
        projects.forest_use,
        projects.nonforest_since_year,
        projects.has_tenure_certificate,
        coalesce(parcel_summary.n_parcels, 0) as n_parcels,
        {{ measure('coalesce(parcel_summary.parcels_area_mu, 0)', 4) }} as parcels_area_mu,
        coalesce(parcel_summary.n_plots_inside, 0) as n_plots_inside,
        parcel_summary.parcel_ids,
        coalesce(reasons.n_failed_conditions, 0) = 0 as is_eligible,
        coalesce(reasons.n_failed_conditions, 0) as n_failed_conditions,
        reasons.failed_conditions,
        reasons.ineligibility_reasons,
        rules.baseline_method,
        rules.leakage_fraction,
        rules.uncertainty_threshold_u90_pct,
        rules.buffer_share,
        projects.source_file,
        projects.source_sha256,
    from projects
    left join parcel_summary on projects.project_id = parcel_summary.project_id
    left join reasons on projects.project_id = reasons.project_id
    left join rules on projects.methodology = rules.methodology
)

select * from final
