-- CH4 from wetlands per parcel and survey year, with the parcel's management status and whether
-- the CH4 enters the net sink (int_wetland_status_assigned, seed_wetland_management_treatment):
--   area (ha) x EF (kg CH4/ha/yr) / 1000 x GWP
-- EF by treatment: restored, created (and the memo figure of natural and protected wetlands) by
-- the wetland class (seed_wetland_class_map: inland wetland mineral soils, 2013 Wetlands
-- Supplement Ch5 Table 5.4, temperate; constructed ponds, IPCC 2019 V4 Ch7 Table 7.12); rewetted
-- organic soils by WS13 Ch3 Table 3.3 (kg CH4-C x 16/12); drained wetlands none (WS13 Ch5 gives
-- no Tier 1 CH4 factor for drained IWMS: the row carries the area with 0 CH4).
-- is_in_net_sink: the treatment is 'accounted' (managed land with a human-induced flux), or
-- var('wetland_scope') = 'all' (every wetland, the sensitivity); otherwise the CH4 is the memo
-- item memo_unmanaged_ch4_co2e_t of the sink marts, outside the net sink.
{%- if var('wetland_scope') not in ('managed', 'all') %}
    {{ exceptions.raise_compiler_error("var wetland_scope must be 'managed' or 'all', not '" ~ var('wetland_scope') ~ "'") }}
{%- endif %}
with surveys as (
    select * from {{ ref('stg_survey__wetland_surveys') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

statuses as (
    select * from {{ ref('int_wetland_status_assigned') }}
),

class_map as (
    select * from {{ ref('seed_wetland_class_map') }}
),

factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

ef_routed as (
    select
        surveys.parcel_id,
        surveys.survey_year as year,
        parcels.county_code,
        parcels.zone_id,
        'wetland' as land_class,
        surveys.wetland_class,
        surveys.wetland_area_mu,
        surveys.protected_area_mu,
        statuses.management_status,
        statuses.status_since,
        statuses.status_source,
        statuses.treatment,
        statuses.is_managed_land,
        statuses.ipcc_chapter,
        statuses.ch4_ef_parameter,
        case
            when statuses.ch4_ef_parameter is not null
                then coalesce(statuses.treatment_ch4_ef_stratum, class_map.ch4_ef_stratum)
        end as ch4_ef_stratum,
        statuses.ch4_ef_table,
        surveys.source_sha256,
    from surveys
    inner join parcels on surveys.parcel_id = parcels.parcel_id
    inner join statuses on surveys.parcel_id = statuses.parcel_id and surveys.survey_year = statuses.year
    inner join class_map on surveys.wetland_class = class_map.wetland_class
),

with_ef as (
    select
        ef_routed.*,
        -- kg CH4/ha/yr; a CH4-C factor (WS13 Ch3 Table 3.3) converted with 16/12
        coalesce(
            ef.value * case when ef_routed.ch4_ef_parameter = 'wetland_ch4_c_ef' then {{ factor('ch4_c_to_ch4', 'all') }} else 1.0 end,
            0.0
        ) as ch4_kg_per_ha_yr,
    from ef_routed
    left join factors as ef
        on ef.parameter = ef_routed.ch4_ef_parameter and ef.stratum = ef_routed.ch4_ef_stratum
),

final as (
    select
        parcel_id,
        year,
        county_code,
        zone_id,
        land_class,
        wetland_class,
        wetland_area_mu,
        protected_area_mu,
        management_status,
        status_since,
        status_source,
        treatment,
        is_managed_land,
        treatment = 'accounted' or '{{ var("wetland_scope") }}' = 'all' as is_in_net_sink,
        case treatment
            when 'memo' then 'memo_excluded'
            else case when ipcc_chapter like 'WS13 Ch3%' then 'ws13_ch3' else 'ws13_ch5' end
        end as method,
        ch4_ef_parameter,
        ch4_ef_stratum,
        ch4_ef_table,
        ch4_kg_per_ha_yr,
        round(wetland_area_mu / 15.0 * ch4_kg_per_ha_yr / 1000.0, 6) as ch4_t,
        round(wetland_area_mu / 15.0 * ch4_kg_per_ha_yr / 1000.0 * {{ gwp('ch4') }}, 6) as emissions_co2e_t,
        source_sha256,
    from with_ef
)

select * from final
