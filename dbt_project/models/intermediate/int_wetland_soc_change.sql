-- Soil carbon of managed wetlands per parcel and survey year (seed_wetland_management_treatment,
-- soil_route), t CO2e/yr, a gain positive:
--   soc_flu  inland wetland mineral soils (2013 Wetlands Supplement Ch5; IPCC 2006 V4 Ch2
--            Eq 2.25 with F_MG = F_I = 1): dC = SOC_REF x (F_LU,new - F_LU,old) x A / D, D = 20 yr,
--            in years 1-20 after the status began from flu_stratum_from to flu_stratum_to, in years
--            21-40 from flu_stratum_to to flu_stratum_later (if any). Restored or created:
--            0.71 (long-term cultivated) -> 0.80 -> 1.00 (Table 5.3), SOC_REF 87 t C/ha (Table
--            5.2, cold temperate dry); drained: 1.00 -> 0.71 (a loss) over 20 years.
--   co2_ef   rewetted organic soils (WS13 Ch3 Table 3.1): on-site CO2-C EF x A from the rewetting
--            year, no transition (a positive EF is an emission).
-- Only the years of wetland surveys carry rows (wetland surveys are annual); a year outside every
-- transition has none. The sensitivities per factor feed int_sink_uncertainty_terms.
with statuses as (
    select * from {{ ref('int_wetland_status_assigned') }}
    where soil_route in ('soc_flu', 'co2_ef')
),

surveys as (
    select * from {{ ref('stg_survey__wetland_surveys') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

constants as (
    select
        cast({{ factor('soc_transition_years', 'mineral_soil') }} as integer) as transition_years,
        {{ factor('c_to_co2', 'all') }} as c_to_co2,
),

phased as (
    select
        statuses.*,
        surveys.wetland_area_mu,
        surveys.wetland_area_mu / 15.0 as area_ha,
        surveys.source_sha256,
        parcels.county_code,
        parcels.zone_id,
        constants.transition_years,
        constants.c_to_co2,
        case
            when statuses.soil_route = 'co2_ef' then 0
            when statuses.years_since_status between 1 and constants.transition_years then 1
            when statuses.years_since_status between constants.transition_years + 1
                and 2 * constants.transition_years and statuses.flu_stratum_later is not null then 2
        end as transition_phase,
    from statuses
    inner join surveys on statuses.parcel_id = surveys.parcel_id and statuses.year = surveys.survey_year
    inner join parcels on statuses.parcel_id = parcels.parcel_id
    cross join constants
),

with_factors as (
    select
        phased.*,
        case phased.transition_phase when 1 then phased.flu_stratum_from when 2 then phased.flu_stratum_to end
            as flu_stratum_old,
        case phased.transition_phase when 1 then phased.flu_stratum_to when 2 then phased.flu_stratum_later end
            as flu_stratum_new,
        soc_ref.value as soc_ref_t_c_per_ha,
        co2_ef.value as co2_c_ef_t_per_ha_yr,
    from phased
    left join factors as soc_ref
        on soc_ref.parameter = 'soc_ref_0_30cm' and soc_ref.stratum = phased.soc_ref_stratum
    left join factors as co2_ef
        on co2_ef.parameter = phased.co2_ef_parameter and co2_ef.stratum = phased.co2_ef_stratum
    where phased.transition_phase is not null
),

computed as (
    select
        with_factors.*,
        f_old.value as f_lu_old,
        f_new.value as f_lu_new,
        case
            when with_factors.soil_route = 'soc_flu'
                then with_factors.soc_ref_t_c_per_ha * (f_new.value - f_old.value) * with_factors.area_ha
                    / with_factors.transition_years
            else -with_factors.co2_c_ef_t_per_ha_yr * with_factors.area_ha
        end as soc_change_t_c,
    from with_factors
    left join factors as f_old on f_old.parameter = 'wetland_flu' and f_old.stratum = with_factors.flu_stratum_old
    left join factors as f_new on f_new.parameter = 'wetland_flu' and f_new.stratum = with_factors.flu_stratum_new
),

final as (
    select
        parcel_id,
        year,
        county_code,
        zone_id,
        'wetland' as land_class,
        management_status,
        status_since,
        years_since_status,
        transition_phase,
        soil_route,
        case when ipcc_chapter like 'WS13 Ch3%' then 'ws13_ch3' else 'ws13_ch5' end as method,
        soil_table,
        area_ha,
        soc_ref_stratum,
        soc_ref_t_c_per_ha,
        flu_stratum_old,
        flu_stratum_new,
        f_lu_old,
        f_lu_new,
        co2_ef_parameter,
        co2_ef_stratum,
        co2_c_ef_t_per_ha_yr,
        transition_years,
        round(soc_change_t_c, 6) as soc_change_t_c,
        round(soc_change_t_c * c_to_co2, 6) as soc_change_co2e_t,
        source_sha256,
    from computed
    where soc_change_t_c <> 0
)

select * from final
