-- The management status of every wetland survey (parcel x survey year) and the IPCC treatment it
-- decides (seed_wetland_management_treatment). A status is stated by a wetland survey or by a
-- parcel survey (both families carry management_status and management_status_since) and holds
-- from its since-year (the survey year when missing) until a later statement. The status of a
-- survey year: a statement made in that year's own survey first (what the field team found);
-- otherwise the statement with the latest since-year at or before the year (ties: the later
-- survey, then the wetland survey). So "restored since 2022" in the 2025 parcels layer makes the
-- parcel restored from 2022 on where the 2022-2024 surveys say nothing, while its 2021 survey
-- keeps what that survey said. A wetland nobody gave a status is natural_unmanaged
-- (status_source = 'default').
-- years_since_status: 1 in the since-year (the first year of a transition).
with wetland_surveys as (
    select * from {{ ref('stg_survey__wetland_surveys') }}
),

parcel_surveys as (
    select * from {{ ref('stg_survey__parcel_surveys') }}
),

treatments as (
    select * from {{ ref('seed_wetland_management_treatment') }}
),

statements as (
    select
        parcel_id,
        survey_year as stated_in,
        management_status,
        coalesce(management_status_since, survey_year) as status_since,
        'wetland_survey' as status_source,
        1 as source_rank,
    from wetland_surveys
    where management_status is not null
    union all
    select
        parcel_id,
        survey_year,
        management_status,
        coalesce(management_status_since, survey_year),
        'parcel_survey',
        2,
    from parcel_surveys
    where management_status is not null
),

resolved as (
    select
        wetland_surveys.parcel_id,
        wetland_surveys.survey_year,
        coalesce(statements.management_status, 'natural_unmanaged') as management_status,
        statements.status_since,
        statements.stated_in as status_stated_in,
        coalesce(statements.status_source, 'default') as status_source,
    from wetland_surveys
    left join statements
        on wetland_surveys.parcel_id = statements.parcel_id
        and statements.status_since <= wetland_surveys.survey_year
    qualify row_number() over (
        partition by wetland_surveys.parcel_id, wetland_surveys.survey_year
        order by (statements.stated_in = wetland_surveys.survey_year) desc nulls last,
            statements.status_since desc nulls last, statements.stated_in desc nulls last,
            statements.source_rank nulls last
    ) = 1
),

final as (
    select
        resolved.parcel_id,
        resolved.survey_year as year,
        resolved.management_status,
        resolved.status_since,
        resolved.status_stated_in,
        resolved.status_source,
        resolved.survey_year - resolved.status_since + 1 as years_since_status,
        treatments.is_managed_land,
        treatments.treatment,
        treatments.ipcc_chapter,
        treatments.ch4_ef_parameter,
        treatments.ch4_ef_stratum as treatment_ch4_ef_stratum,
        treatments.ch4_ef_table,
        treatments.soil_route,
        treatments.soc_ref_stratum,
        treatments.flu_stratum_from,
        treatments.flu_stratum_to,
        treatments.flu_stratum_later,
        treatments.co2_ef_parameter,
        treatments.co2_ef_stratum,
        treatments.soil_table,
    from resolved
    inner join treatments on resolved.management_status = treatments.management_status
)

select * from final
