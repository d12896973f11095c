-- CH4 from wetlands per parcel and survey year: area (ha) x EF (kg CH4/ha/yr) / 1000 x GWP.
-- Inland wetland mineral soils: 2013 Wetlands Supplement Ch5 Table 5.4 (temperate);
-- constructed ponds: IPCC 2019 V4 Ch7 Table 7.12.
with surveys as (
    select * from {{ ref('stg_survey__wetland_surveys') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

class_map as (
    select * from {{ ref('seed_wetland_class_map') }}
),

factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

final as (
    select
        surveys.parcel_id,
        surveys.survey_year as year,
        parcels.county_code,
        parcels.zone_id,
        'wetland' as land_class,
        surveys.wetland_class,
        surveys.wetland_area_mu,
        surveys.protected_area_mu,
        class_map.ch4_ef_stratum,
        ef.value as ch4_kg_per_ha_yr,
        round(surveys.wetland_area_mu / 15.0 * ef.value / 1000.0, 6) as ch4_t,
        round(surveys.wetland_area_mu / 15.0 * ef.value / 1000.0 * {{ gwp('ch4') }}, 6) as emissions_co2e_t,
        surveys.source_sha256,
    from surveys
    inner join parcels on surveys.parcel_id = parcels.parcel_id
    inner join class_map on surveys.wetland_class = class_map.wetland_class
    inner join factors as ef
        on ef.parameter = 'wetland_ch4_ef' and ef.stratum = class_map.ch4_ef_stratum
)

select * from final
