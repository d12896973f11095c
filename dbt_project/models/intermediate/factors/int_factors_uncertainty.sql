-- Every factor of seed_carbon_factors with its uncertainty as the half-width of a 95 % interval in
-- percent of the value (the U of IPCC 2006 Vol 1 Ch 3 Approach 1):
--   range, ci95     the larger distance from the value to low or high (asymmetric ranges: conservative)
--   mean_pm_sd      low/high are mean -/+ 1 SD: U = 1.96 x SD / value
--   sd, se          uncertainty_value is an SD or SE: U = 1.96 x uncertainty_value / value
--   pct95           uncertainty_value is already a 95 % half-width in percent (e.g. IPCC "±90 %")
--   assumed_pct95   as pct95, but assumed by us (source_status of the uncertainty is A)
--   exact           definitions and GWPs (not propagated by convention): 0
--   none            not known: null (the factor is not used in a propagated figure)
with factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

final as (
    select
        parameter,
        stratum,
        value,
        unit,
        low,
        high,
        uncertainty_type,
        uncertainty_value,
        case uncertainty_type
            when 'range' then 100.0 * greatest(high - value, value - low) / value
            when 'ci95' then 100.0 * greatest(high - value, value - low) / value
            when 'mean_pm_sd' then 100.0 * 1.96 * (high - low) / 2.0 / value
            when 'sd' then 100.0 * 1.96 * uncertainty_value / value
            when 'se' then 100.0 * 1.96 * uncertainty_value / value
            when 'pct95' then uncertainty_value
            when 'assumed_pct95' then uncertainty_value
            when 'exact' then 0.0
        end as u95_pct,
        uncertainty_type = 'assumed_pct95' as is_uncertainty_assumed,
        source,
        source_status,
        vintage,
    from factors
)

select * from final
