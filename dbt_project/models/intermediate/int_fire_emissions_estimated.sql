-- Fire emissions per fire, every gas by IPCC 2006 V4 Ch2 Eq 2.27 with one fuel per fire. A fire is
-- a row of int_fire_loss_sources: a fire report (loss_basis fire_report, A = its burned area) or a
-- FIRMS fire event no report describes (fire_event, A = its pixel area x fire_event_area_ratio;
-- report_id 'fire_event:<event_id>'): the same equation and fuel logic for both.
--   L_fire (t gas) = A (ha) x M_B (t d.m./ha) x C_f x G_ef (g/kg d.m., Table 2.5) x 1e-3.
-- Fuel (seed_fire_vegetation_map.fuel_source):
--   plot_agb        forest: M_B = above-ground live-tree biomass of the parcel's stratum from our
--                   own plots at the nearest inventory cycle (the latest at or before the fire
--                   year, else the first), C_f from Table 2.6 (combustion_stratum). Roots do not
--                   burn; litter and dead wood are not measured, so M_B leaves them out.
--   ipcc_table_2_4  no plot estimate (grassland, shrub, a forest parcel without plots): the Table
--                   2.4 fuel actually burnt M_B*C_f with C_f = 1, as Table 2.4 prescribes.
-- CO2 (co2_route): eq_2_27 for forest (the biomass CO2 loss of the fire, int_disturbance_losses_
-- estimated takes it from here); not_reported for grassland (Table 2.5 note: regrowth balances it)
-- and shrub (shrub biomass is outside the account on both sides: its growth is not measured).
-- emissions_co2e_t is the non-CO2 part (CH4 + N2O in CO2e), always reported and deducted.
-- Uncertainty (95 % half-width, % of the value) of each input: fuel (plot sampling: Student's t at
-- the AGB stratum's df x SE, sampling_df / sampling_t_975; or Table 2.4), C_f, and each gas's G_ef
-- (int_sink_uncertainty_terms), and for an event the area (fire_event_area_ratio by area_basis:
-- area_stratum, area_u95_pct; 0 for a reported area).
with reports as (
    select * from {{ ref('int_fire_loss_sources') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

vegetation_map as (
    select * from {{ ref('seed_fire_vegetation_map') }}
),

forest_estimates as (
    select * from {{ ref('int_forest_parcels_estimated') }}
),

factors as (
    select * from {{ ref('int_factors_uncertainty') }}
),

nearest_stock as (
    select
        reports.report_id,
        forest_estimates.inventory_year,
        forest_estimates.stratum_id,
        forest_estimates.agb_t_per_ha_mean,
        forest_estimates.agb_t_per_ha_se,
        forest_estimates.sampling_df,
        forest_estimates.t_975,
    from reports
    inner join vegetation_map on reports.vegetation_type = vegetation_map.vegetation_type
    inner join forest_estimates on reports.parcel_id = forest_estimates.parcel_id
    where vegetation_map.fuel_source = 'plot_agb'
    qualify row_number() over (
        partition by reports.report_id
        order by (forest_estimates.inventory_year <= reports.fire_year) desc,
            abs(reports.fire_year - forest_estimates.inventory_year)
    ) = 1
),

fuel as (
    select
        reports.*,
        vegetation_map.co2_route,
        vegetation_map.ef_stratum,
        case when nearest_stock.report_id is not null then 'plot_agb' else 'ipcc_table_2_4' end as fuel_source,
        nearest_stock.inventory_year as stock_cycle_year,
        nearest_stock.stratum_id,
        case when nearest_stock.report_id is null then vegetation_map.fuel_stratum end as fuel_stratum,
        case when nearest_stock.report_id is not null then vegetation_map.combustion_stratum end
            as combustion_stratum,
        coalesce(nearest_stock.agb_t_per_ha_mean, table_fuel.value) as fuel_mass_t_dm_per_ha,
        -- Table 2.4 values are M_B*C_f already: C_f = 1 with them
        coalesce(combustion.value, 1.0) as combustion_factor,
        case
            when nearest_stock.report_id is not null
                then 100.0 * nearest_stock.t_975 * nearest_stock.agb_t_per_ha_se / nullif(nearest_stock.agb_t_per_ha_mean, 0)
            else table_fuel.u95_pct
        end as fuel_u95_pct,
        case when nearest_stock.report_id is not null
            then 'forest_agb|' || nearest_stock.stratum_id || '|' || nearest_stock.inventory_year
        end as sampling_key,
        nearest_stock.sampling_df,
        nearest_stock.t_975 as sampling_t_975,
        coalesce(combustion.u95_pct, 0) as combustion_u95_pct,
    from reports
    inner join vegetation_map on reports.vegetation_type = vegetation_map.vegetation_type
    left join nearest_stock on reports.report_id = nearest_stock.report_id
    left join factors as table_fuel
        on table_fuel.parameter = 'fire_fuel_consumed' and table_fuel.stratum = vegetation_map.fuel_stratum
    left join factors as combustion
        on nearest_stock.report_id is not null
        and combustion.parameter = 'combustion_factor' and combustion.stratum = vegetation_map.combustion_stratum
),

burnt as (
    select
        fuel.*,
        fuel.burned_area_ha * fuel.fuel_mass_t_dm_per_ha * fuel.combustion_factor as fuel_burnt_t_dm_raw,
        ef_co2.value as ef_co2_g_per_kg,
        ef_co2.u95_pct as ef_co2_u95_pct,
        ef_ch4.value as ef_ch4_g_per_kg,
        ef_ch4.u95_pct as ef_ch4_u95_pct,
        ef_n2o.value as ef_n2o_g_per_kg,
        ef_n2o.u95_pct as ef_n2o_u95_pct,
    from fuel
    inner join factors as ef_co2 on ef_co2.parameter = 'fire_ef_co2' and ef_co2.stratum = fuel.ef_stratum
    inner join factors as ef_ch4 on ef_ch4.parameter = 'fire_ef_ch4' and ef_ch4.stratum = fuel.ef_stratum
    inner join factors as ef_n2o on ef_n2o.parameter = 'fire_ef_n2o' and ef_n2o.stratum = fuel.ef_stratum
),

final as (
    select
        burnt.report_id,
        burnt.loss_basis,
        burnt.event_id,
        burnt.matched_event_id,
        burnt.fire_year as year,
        burnt.parcel_id,
        coalesce(parcels.county_code, burnt.county_code) as county_code,
        parcels.zone_id,
        coalesce(parcels.land_class, vegetation_map.land_class) as land_class,
        burnt.vegetation_type,
        burnt.burned_area_ha,
        burnt.stated_area_ha,
        burnt.area_stratum,
        burnt.area_ratio,
        coalesce(burnt.area_u95_pct, 0) as area_u95_pct,
        burnt.fuel_source,
        burnt.stock_cycle_year,
        burnt.stratum_id,
        burnt.fuel_mass_t_dm_per_ha,
        burnt.combustion_factor,
        -- rounded to the gram: reproducible by hand, far below the factors' uncertainty
        round(burnt.fuel_burnt_t_dm_raw, 6) as fuel_burnt_t_dm,
        burnt.co2_route,
        round(case when burnt.co2_route = 'eq_2_27' then burnt.fuel_burnt_t_dm_raw * burnt.ef_co2_g_per_kg * 1e-3 else 0.0 end, 6)
            as co2_t,
        round(burnt.fuel_burnt_t_dm_raw * burnt.ef_ch4_g_per_kg * 1e-3, 6) as ch4_t,
        round(burnt.fuel_burnt_t_dm_raw * burnt.ef_n2o_g_per_kg * 1e-3, 6) as n2o_t,
        round(burnt.fuel_burnt_t_dm_raw * burnt.ef_ch4_g_per_kg * 1e-3 * {{ gwp('ch4') }}, 6) as ch4_co2e_t,
        round(burnt.fuel_burnt_t_dm_raw * burnt.ef_n2o_g_per_kg * 1e-3 * {{ gwp('n2o') }}, 6) as n2o_co2e_t,
        round(
            burnt.fuel_burnt_t_dm_raw * burnt.ef_ch4_g_per_kg * 1e-3 * {{ gwp('ch4') }}
            + burnt.fuel_burnt_t_dm_raw * burnt.ef_n2o_g_per_kg * 1e-3 * {{ gwp('n2o') }}, 6
        ) as emissions_co2e_t,
        burnt.fuel_stratum,
        burnt.combustion_stratum,
        burnt.ef_stratum,
        burnt.sampling_key,
        burnt.sampling_df,
        burnt.sampling_t_975,
        coalesce(burnt.fuel_u95_pct, 0) as fuel_u95_pct,
        burnt.combustion_u95_pct,
        coalesce(burnt.ef_co2_u95_pct, 0) as ef_co2_u95_pct,
        coalesce(burnt.ef_ch4_u95_pct, 0) as ef_ch4_u95_pct,
        coalesce(burnt.ef_n2o_u95_pct, 0) as ef_n2o_u95_pct,
        burnt.source_sha256,
        burnt.source_sha256s,
    from burnt
    inner join vegetation_map on burnt.vegetation_type = vegetation_map.vegetation_type
    left join parcels on burnt.parcel_id = parcels.parcel_id
)

select * from final
