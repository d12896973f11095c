-- Grassland soil organic carbon change through the IPCC management factors (IPCC 2006 V4 Ch2
-- Eq 2.25, factors of IPCC 2019 V4 Ch6 Table 6.2 and SOC_REF of IPCC 2019 V4 Ch2 Table 2.3):
--   SOC_eq = SOC_REF(soil class) x F_LU x F_MG(management) x F_I(input)        t C/ha, 0-30 cm
--   dC_soil per year = (SOC_eq(new) - SOC_eq(old)) x A / D                      t C/yr, D = 20 yr
-- A parcel's first survey is its baseline state. When a later survey records a different regime,
-- the new equilibrium is approached linearly over D years, starting in the survey year that first
-- records it (no credit before a survey confirms the change): that year and each of the next
-- D - 1 years, up to the latest year with grassland data, get (SOC_eq(new) - SOC_eq(old)) x A / D.
-- A later change starts a transition of its own; the transitions add up. A grassland survey
-- without grassland_management is `nominal` (F_MG = 1), an improved one without an input level
-- `medium` (F_I = 1). Removals positive: a gain of soil carbon is positive, a loss negative.
-- One row per parcel x year x change (the survey year starting the transition).
with surveys as (
    select * from {{ ref('stg_survey__parcel_surveys') }}
    where land_class = 'grassland'
),

parcels as (
    -- parcels that are grassland in their latest survey (land-use change is not handled here)
    select * from {{ ref('stg_survey__parcels') }}
    where land_class = 'grassland'
),

grassland_years as (
    select survey_year as year from {{ ref('int_grassland_parcels_estimated') }}
    union all
    select survey_year from surveys
),

soil_map as (
    select * from {{ ref('seed_grassland_soil_class_map') }}
),

management_map as (
    select * from {{ ref('seed_grassland_management_map') }}
),

factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

constants as (
    select
        {{ factor('soc_factor_FLU', 'grassland') }} as f_lu,
        cast({{ factor('soc_transition_years', 'mineral_soil') }} as integer) as transition_years,
        {{ factor('c_to_co2', 'all') }} as c_to_co2,
        (select max(year) from grassland_years) as last_year,
),

regimes as (
    select
        surveys.parcel_id,
        surveys.survey_year,
        surveys.area_ha,
        surveys.source_sha256,
        coalesce(surveys.grassland_management, 'nominal') as management,
        case
            when coalesce(surveys.grassland_management, 'nominal') = 'improved'
                then coalesce(surveys.management_input, 'medium')
        end as management_input,
    from surveys
    inner join parcels on surveys.parcel_id = parcels.parcel_id
),

regime_factors as (
    select
        regimes.*,
        management_map.fmg_stratum,
        management_map.fi_stratum,
        fmg.value as f_mg,
        fi.value as f_i,
    from regimes
    left join management_map
        on regimes.management = management_map.grassland_management
        and regimes.management_input is not distinct from management_map.management_input
    left join factors as fmg on fmg.parameter = 'soc_factor_FMG' and fmg.stratum = management_map.fmg_stratum
    left join factors as fi on fi.parameter = 'soc_factor_FI' and fi.stratum = management_map.fi_stratum
),

with_previous as (
    select
        *,
        lag(survey_year) over by_parcel as previous_survey_year,
        lag(management) over by_parcel as management_from,
        lag(management_input) over by_parcel as management_input_from,
        lag(fmg_stratum) over by_parcel as fmg_stratum_from,
        lag(fi_stratum) over by_parcel as fi_stratum_from,
        lag(f_mg) over by_parcel as f_mg_from,
        lag(f_i) over by_parcel as f_i_from,
    from regime_factors
    window by_parcel as (partition by parcel_id order by survey_year)
),

changes as (
    select
        with_previous.*,
        parcels.county_code,
        parcels.zone_id,
        parcels.land_class,
        parcels.grassland_type,
        soil_map.ipcc_soil_class,
        soil_map.soc_ref_stratum,
        soc_ref.value as soc_ref_t_c_per_ha,
    from with_previous
    inner join parcels on with_previous.parcel_id = parcels.parcel_id
    -- a grassland parcel without a grassland type has no soil class: like the biomass strata
    -- (int_grassland_parcels_estimated), it is left out
    inner join soil_map on parcels.grassland_type = soil_map.grassland_type
    inner join factors as soc_ref on soc_ref.parameter = 'soc_ref_0_30cm' and soc_ref.stratum = soil_map.soc_ref_stratum
    where with_previous.previous_survey_year is not null
        and with_previous.f_mg * with_previous.f_i <> with_previous.f_mg_from * with_previous.f_i_from
),

transition_years as (
    select
        changes.*,
        constants.f_lu,
        constants.transition_years,
        constants.c_to_co2,
        unnest(generate_series(
            changes.survey_year,
            least(changes.survey_year + constants.transition_years - 1, constants.last_year)
        )) as year,
    from changes
    cross join constants
),

final as (
    select
        parcel_id,
        year,
        survey_year as change_year,
        previous_survey_year,
        year - survey_year + 1 as transition_year,
        county_code,
        zone_id,
        land_class,
        grassland_type,
        ipcc_soil_class,
        soc_ref_stratum,
        area_ha,
        management_from,
        management_input_from,
        management as management_to,
        management_input as management_input_to,
        fmg_stratum_from,
        fi_stratum_from,
        fmg_stratum as fmg_stratum_to,
        fi_stratum as fi_stratum_to,
        soc_ref_t_c_per_ha,
        f_lu,
        f_mg_from,
        f_i_from,
        f_mg as f_mg_to,
        f_i as f_i_to,
        round(soc_ref_t_c_per_ha * f_lu * f_mg_from * f_i_from, 6) as soc_eq_from_t_c_per_ha,
        round(soc_ref_t_c_per_ha * f_lu * f_mg * f_i, 6) as soc_eq_to_t_c_per_ha,
        transition_years,
        round(soc_ref_t_c_per_ha * f_lu * (f_mg * f_i - f_mg_from * f_i_from) * area_ha / transition_years, 6)
            as soc_change_t_c,
        round(soc_ref_t_c_per_ha * f_lu * (f_mg * f_i - f_mg_from * f_i_from) * area_ha / transition_years
            * c_to_co2, 6) as soc_change_co2e_t,
        -- t CO2e/yr per unit of F_MG x F_I: the sensitivity the factor uncertainty terms use
        round(soc_ref_t_c_per_ha * f_lu * area_ha / transition_years * c_to_co2, 6)
            as co2e_t_per_unit_management_factor,
        source_sha256 as parcel_source_sha256,
    from transition_years
)

select * from final
