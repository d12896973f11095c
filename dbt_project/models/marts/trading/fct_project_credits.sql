-- Credits per project and vintage year: the ex-ante estimate of the project design (planned area x
-- the growth table: IPCC 2019 Table 4.8 AGB of a < 20-year plantation spread evenly over its 20
-- years, x (1 + R) x CF x 44/12, less leakage) and the ex-post creditable removals from our
-- measured stock changes, with each deduction: baseline, leakage, uncertainty (from the Approach 1
-- interval), and the non-permanence buffer the ledger sets aside at issuance.
-- creditable_t = gross - baseline - leakage - uncertainty; buffer_t = creditable_t x buffer_share;
-- issuable_to_owner_t = creditable_t - buffer_t. Ineligible projects keep their rows (ex-post
-- creditable 0) so the reserve shows what they would yield.
with projects as (
    select * from {{ ref('dim_projects') }}
),

credits as (
    select * from {{ ref('int_project_parcel_credits') }}
),

uncertainty as (
    select * from {{ ref('int_project_uncertainty') }}
),

growth as (
    select * from {{ ref('seed_project_growth_tables') }}
),

factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

years as (
    select projects.project_id, cast(y.vintage as integer) as vintage
    from projects
    cross join lateral (
        select unnest(range(cast(extract(year from projects.crediting_start) as bigint),
            cast(extract(year from projects.crediting_end) as bigint))) as vintage
    ) as y
),

ex_ante as (
    select
        years.project_id,
        years.vintage,
        projects.planned_area_mu / 15.0 * growth.agb_t_dm_per_ha / growth.age_upto_years
            * (1 + r.value) * cf.value * {{ factor('c_to_co2', 'all') }}
            * (1 - coalesce(projects.leakage_fraction, 0)) as ex_ante_t,
    from years
    inner join projects on years.project_id = projects.project_id
    inner join growth on projects.species = growth.species
    inner join factors as r on r.parameter = 'root_shoot' and r.stratum = growth.root_shoot_stratum
    inner join factors as cf on cf.parameter = 'carbon_fraction_biomass' and cf.stratum = growth.cf_stratum
    where years.vintage - extract(year from projects.start_date) < growth.age_upto_years
        and projects.project_type = 'afforestation'
),

ex_post as (
    select
        project_id,
        vintage,
        count(*) as n_parcels_measured,
        sum(gross_removals_t order by parcel_id) as gross_removals_t,
        sum(baseline_t order by parcel_id) as baseline_t,
        sum(leakage_t order by parcel_id) as leakage_t,
        sum(uncertainty_deduction_t order by parcel_id) as uncertainty_deduction_t,
    from credits
    group by project_id, vintage
),

final as (
    select
        years.project_id,
        years.vintage,
        projects.scheme_code,
        projects.methodology,
        projects.is_eligible,
        {{ measure('ex_ante.ex_ante_t') }} as ex_ante_t,
        coalesce(ex_post.n_parcels_measured, 0) as n_parcels_measured,
        {{ measure('ex_post.gross_removals_t') }} as gross_removals_t,
        {{ measure('ex_post.baseline_t') }} as baseline_t,
        {{ measure('ex_post.leakage_t') }} as leakage_t,
        {{ measure('uncertainty.u95_co2e_t') }} as removals_u95_t,
        {{ measure('uncertainty.u90_pct', 2) }} as removals_u90_pct,
        {{ measure('uncertainty.deduction_share', 4) }} as uncertainty_deduction_share,
        {{ measure('ex_post.uncertainty_deduction_t') }} as uncertainty_deduction_t,
        {{ measure('ex_post.gross_removals_t - ex_post.baseline_t - ex_post.leakage_t - ex_post.uncertainty_deduction_t') }} as net_before_buffer_t,
        projects.buffer_share,
        case when projects.is_eligible and ex_post.project_id is not null
            then {{ measure('greatest(ex_post.gross_removals_t - ex_post.baseline_t - ex_post.leakage_t - ex_post.uncertainty_deduction_t, 0)') }}
            else 0
        end as creditable_t,
        case when projects.is_eligible and ex_post.project_id is not null
            then {{ measure('greatest(ex_post.gross_removals_t - ex_post.baseline_t - ex_post.leakage_t - ex_post.uncertainty_deduction_t, 0) * coalesce(projects.buffer_share, 0)') }}
            else 0
        end as buffer_t,
        case when projects.is_eligible and ex_post.project_id is not null
            then {{ measure('greatest(ex_post.gross_removals_t - ex_post.baseline_t - ex_post.leakage_t - ex_post.uncertainty_deduction_t, 0) * (1 - coalesce(projects.buffer_share, 0))') }}
            else 0
        end as issuable_to_owner_t,
        case
            when ex_post.project_id is not null then 'measured'
            when ex_ante.project_id is not null then 'ex_ante_only'
            else 'none'
        end as basis,
    from years
    inner join projects on years.project_id = projects.project_id
    left join ex_ante on years.project_id = ex_ante.project_id and years.vintage = ex_ante.vintage
    left join ex_post on years.project_id = ex_post.project_id and years.vintage = ex_post.vintage
    left join uncertainty on years.project_id = uncertainty.project_id and years.vintage = uncertainty.vintage
)

select * from final
