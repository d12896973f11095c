-- Creditable tonnes per parcel, vintage and scheme of the eligible projects: what the nightly run
-- loads into the ledger after the gate (Ledger.load_creditable: net_removals_t = gross removals,
-- deductions_t = baseline + leakage + uncertainty deduction; the buffer is taken at issuance).
-- creditable_units is what the ledger will let be issued: floor((net kg - deduction kg) / 1000).
with credits as (
    select * from {{ ref('int_project_parcel_credits') }}
),

projects as (
    select * from {{ ref('dim_projects') }}
),

final as (
    select
        credits.parcel_id,
        credits.vintage,
        credits.scheme_code,
        credits.project_id,
        projects.is_ledger_scheme,
        greatest(credits.gross_removals_t, 0) as net_removals_t,
        credits.baseline_t,
        credits.leakage_t,
        credits.uncertainty_deduction_t,
        {{ measure('greatest(credits.baseline_t + credits.leakage_t + credits.uncertainty_deduction_t, 0)') }} as deductions_t,
        {{ measure('greatest(greatest(credits.gross_removals_t, 0) - greatest(credits.baseline_t + credits.leakage_t + credits.uncertainty_deduction_t, 0), 0)') }} as creditable_t,
        cast(greatest(floor((round(greatest(credits.gross_removals_t, 0) * 1000)
            - round(greatest(credits.baseline_t + credits.leakage_t + credits.uncertainty_deduction_t, 0) * 1000)) / 1000), 0) as bigint) as creditable_units,
    from credits
    inner join projects on credits.project_id = projects.project_id
    where projects.is_eligible
)

select * from final
