-- Wetland protection rate (湿地保护率) per survey year = protected wetland area / total wetland
-- area x 100, both from the same survey year (definition: doc block wetland_protection_rate).
with surveys as (
    select * from {{ ref('stg_survey__wetland_surveys') }}
),

final as (
    select
        survey_year as year,
        sum(protected_area_mu) as protected_area_mu,
        sum(wetland_area_mu) as wetland_area_mu,
        100.0 * sum(protected_area_mu) / nullif(sum(wetland_area_mu), 0) as protection_rate_pct,
    from surveys
    group by survey_year
)

select * from final
