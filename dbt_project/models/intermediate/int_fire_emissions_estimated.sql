-- Non-CO2 fire emissions per fire report (IPCC 2006 V4 Ch2 Eq 2.27):
-- L_fire (t gas) = A (ha) x M_B*C_f (t d.m./ha, Table 2.4) x G_ef (g/kg d.m., Table 2.5) x 1e-3.
-- CO2 is not counted here: forest CO2 is in the biomass stock change, grassland CO2 is not reported.
with reports as (
    select * from {{ ref('stg_reports__fires') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

vegetation_map as (
    select * from {{ ref('seed_fire_vegetation_map') }}
),

factors as (
    select * from {{ ref('seed_carbon_factors') }}
),

final as (
    select
        reports.report_id,
        reports.fire_year as year,
        reports.parcel_id,
        coalesce(parcels.county_code, reports.county_code) as county_code,
        parcels.zone_id,
        coalesce(parcels.land_class, vegetation_map.land_class) as land_class,
        reports.vegetation_type,
        reports.burned_area_ha,
        fuel.value as fuel_consumed_t_dm_per_ha,
        -- rounded to the gram: reproducible by hand, far below the factors' uncertainty
        round(reports.burned_area_ha * fuel.value * ef_ch4.value * 1e-3, 6) as ch4_t,
        round(reports.burned_area_ha * fuel.value * ef_n2o.value * 1e-3, 6) as n2o_t,
        round(reports.burned_area_ha * fuel.value * ef_ch4.value * 1e-3 * {{ gwp('ch4') }}, 6) as ch4_co2e_t,
        round(reports.burned_area_ha * fuel.value * ef_n2o.value * 1e-3 * {{ gwp('n2o') }}, 6) as n2o_co2e_t,
        round(
            reports.burned_area_ha * fuel.value * ef_ch4.value * 1e-3 * {{ gwp('ch4') }}
            + reports.burned_area_ha * fuel.value * ef_n2o.value * 1e-3 * {{ gwp('n2o') }}, 6
        ) as emissions_co2e_t,
        vegetation_map.fuel_stratum,
        vegetation_map.ef_stratum,
        reports.source_sha256,
    from reports
    left join parcels on reports.parcel_id = parcels.parcel_id
    inner join vegetation_map on reports.vegetation_type = vegetation_map.vegetation_type
    inner join factors as fuel
        on fuel.parameter = 'fire_fuel_consumed' and fuel.stratum = vegetation_map.fuel_stratum
    inner join factors as ef_ch4
        on ef_ch4.parameter = 'fire_ef_ch4' and ef_ch4.stratum = vegetation_map.ef_stratum
    inner join factors as ef_n2o
        on ef_n2o.parameter = 'fire_ef_n2o' and ef_n2o.stratum = vegetation_map.ef_stratum
)

select * from final
