-- The 95 % uncertainty of every sink component split by its source (IPCC 2006 Vol 1 Ch 3,
-- Approach 1), as signed half-widths in t CO2e of the net sink:
--   sampling|<estimate>|<stratum>|<cycle>   t x SE of a stratum estimate x the area using it (Student's
--                                           t at the estimate's degrees of freedom)
--   factor|<parameter>|<stratum>            the component x U% of the factor (int_factors_uncertainty);
--                                           volume-route BCEF_S and R: one city-wide key each
-- Fires (reports and unreported fire events, int_fire_loss_sources): fuel, C_f, G_ef, and for an
-- event its area (factor|fire_event_area_ratio|<area basis>), shared by its CO2 and CH4/N2O.
-- Wetlands: CH4 only where it is in the net sink (int_wetland_methane_estimated.is_in_net_sink);
-- soil carbon of managed wetlands by SOC_REF (mineral soils) or the CO2 EF (rewetted organic soils).
-- Grassland soil carbon, dSOC = SOC_REF x F_LU x (F_MG,new F_I,new - F_MG,old F_I,old) x A / D:
-- SOC_REF gives dSOC x U%; each management factor its first-order term S x F_I x F_MG x U%
-- (S = SOC_REF x F_LU x A / D x 44/12), positive for the new regime, negative for the old, so that
-- the same factor on both sides of a change (or in two parcels) cancels when the key is summed.
-- A component that is a product of inputs (Eq 3.1) has one term per input; terms of the same key
-- come from the same estimate or factor, so any aggregate sums them first (fully correlated) and
-- then adds the keys in quadrature (Eq 3.2, independent): macro approach1_u95. For one product
-- this gives exactly Eq 3.1; for a sum of independent parts exactly Eq 3.2.
with forest_sink as (
    select * from {{ ref('int_forest_sink_annual') }}
),

components as (
    select * from {{ ref('int_sink_components') }}
),

losses as (
    select * from {{ ref('int_disturbance_losses_estimated') }}
),

fires as (
    select * from {{ ref('int_fire_emissions_estimated') }}
),

wetland as (
    -- only the CH4 in the net sink: the memo CH4 of unmanaged wetlands is outside it
    select * from {{ ref('int_wetland_methane_estimated') }}
    where is_in_net_sink and emissions_co2e_t <> 0
),

wetland_soil as (
    select * from {{ ref('int_wetland_soc_change') }}
),

factors as (
    select * from {{ ref('int_factors_uncertainty') }}
),

soil_carbon as (
    select * from {{ ref('int_grassland_soc_change') }}
),

soil_carbon_factors as (
    -- one row per factor a dSOC row depends on, with its signed sensitivity (t CO2e per unit of
    -- the factor's relative change)
    select year, zone_id, county_code, land_class, 'soc_ref_0_30cm' as parameter, soc_ref_stratum as stratum,
        soc_change_co2e_t as sensitivity_co2e_t,
    from soil_carbon
    union all
    select year, zone_id, county_code, land_class, 'soc_factor_FMG', fmg_stratum_to,
        co2e_t_per_unit_management_factor * f_mg_to * f_i_to,
    from soil_carbon
    union all
    select year, zone_id, county_code, land_class, 'soc_factor_FMG', fmg_stratum_from,
        -co2e_t_per_unit_management_factor * f_mg_from * f_i_from,
    from soil_carbon
    union all
    select year, zone_id, county_code, land_class, 'soc_factor_FI', fi_stratum_to,
        co2e_t_per_unit_management_factor * f_mg_to * f_i_to,
    from soil_carbon
    union all
    select year, zone_id, county_code, land_class, 'soc_factor_FI', fi_stratum_from,
        -co2e_t_per_unit_management_factor * f_mg_from * f_i_from,
    from soil_carbon
),

deducted_losses as (
    select losses.*
    from losses
    inner join components
        on components.source_id = losses.report_id
        and components.component like 'loss_%'
        and components.is_deducted
),

terms as (
    -- forest removals: the stratum estimates they come from, and the carbon fraction. Stock
    -- difference: the paired net change, or the two cycles' stocks
    select year, zone_id, county_code, land_class, 'sampling' as uncertainty_kind,
        'sampling|' || sampling_key_1 as uncertainty_key, sampling_u95_1_co2e_t as u95_co2e_t,
    from forest_sink
    where method = 'stock_difference'
    union all
    select year, zone_id, county_code, land_class, 'sampling',
        'sampling|' || sampling_key_2, sampling_u95_2_co2e_t,
    from forest_sink
    where method = 'stock_difference' and sampling_key_2 is not null
    -- gain-loss: growth - mortality - harvest measured on the same plots is their net change, so
    -- its sampling error is the SE of the plots' net change (one key, Student's t at the stratum
    -- df), not the three stratum means' half-widths in quadrature (they are not independent)
    union all
    select year, zone_id, county_code, land_class, 'sampling',
        'sampling|' || net_sampling_key, net_sampling_u95_co2e_t,
    from forest_sink
    where method = 'gain_loss' and net_sampling_key is not null
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|carbon_fraction_biomass|' || cf_stratum, removals_co2e_t * cf_u95_pct / 100.0,
    from forest_sink
    -- forest removals by the volume route: BCEF_S (IPCC Table 4.5) and R (Table 4.4). One key
    -- each for the whole city: the same table's factors are shared by every parcel (correlated)
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|bcef_s|temperate', bcef_s_u95_co2e_t,
    from forest_sink
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|root_shoot|temperate_asia', root_shoot_u95_co2e_t,
    from forest_sink
    -- mortality and harvest measured on the plots, deducted in gain-loss years: their sampling is
    -- inside the net change above; the carbon fraction (the same CF key as the removals: fully
    -- correlated)
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|carbon_fraction_biomass|' || cf_stratum, -(mortality_co2e_t + harvest_co2e_t) * cf_u95_pct / 100.0,
    from forest_sink
    where method = 'gain_loss'
    -- disturbance losses deducted from the sink (int_sink_components decides per loss)
    union all
    select year, zone_id, county_code, land_class, 'sampling',
        'sampling|' || sampling_key, -loss_co2e_t * sampling_u95_pct / 100.0,
    from deducted_losses
    where sampling_key is not null
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|carbon_fraction_biomass|' || cf_stratum, -loss_co2e_t * cf_u95_pct / 100.0,
    from deducted_losses
    where cf_stratum is not null
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|disturbance_fd|' || fd_stratum, -loss_co2e_t * fd_u95_pct / 100.0,
    from deducted_losses
    where loss_route = 'area_fd'
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|fire_fuel_consumed|' || fuel_stratum, -loss_co2e_t * fuel_u95_pct / 100.0,
    from deducted_losses
    where loss_route = 'fire_eq_2_27' and fuel_stratum is not null
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|combustion_factor|' || combustion_stratum, -loss_co2e_t * combustion_u95_pct / 100.0,
    from deducted_losses
    where loss_route = 'fire_eq_2_27' and combustion_stratum is not null
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|fire_ef_co2|' || ef_stratum, -loss_co2e_t * ef_u95_pct / 100.0,
    from deducted_losses
    where loss_route = 'fire_eq_2_27'
    -- an unreported fire event's area (its pixel area x fire_event_area_ratio, by area basis: one
    -- key per basis, the footprint's error is the method's and shared by every event)
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|fire_event_area_ratio|' || area_stratum, -loss_co2e_t * area_u95_pct / 100.0,
    from deducted_losses
    where loss_route = 'fire_eq_2_27' and area_stratum is not null
    -- fire CH4 and N2O (Eq 2.27): the fuel burnt, shared by every gas of the fire (plot AGB sampling
    -- and C_f, or the Table 2.4 value), and each gas's emission factor
    union all
    select year, zone_id, county_code, land_class, 'sampling',
        'sampling|' || sampling_key, -emissions_co2e_t * fuel_u95_pct / 100.0,
    from fires
    where fuel_source = 'plot_agb'
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|combustion_factor|' || combustion_stratum, -emissions_co2e_t * combustion_u95_pct / 100.0,
    from fires
    where fuel_source = 'plot_agb'
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|fire_fuel_consumed|' || fuel_stratum, -emissions_co2e_t * fuel_u95_pct / 100.0,
    from fires
    where fuel_source = 'ipcc_table_2_4'
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|fire_event_area_ratio|' || area_stratum, -emissions_co2e_t * area_u95_pct / 100.0,
    from fires
    where area_stratum is not null
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|fire_ef_ch4|' || ef_stratum, -ch4_co2e_t * ef_ch4_u95_pct / 100.0,
    from fires
    union all
    select year, zone_id, county_code, land_class, 'factor',
        'factor|fire_ef_n2o|' || ef_stratum, -n2o_co2e_t * ef_n2o_u95_pct / 100.0,
    from fires
    -- grassland soil carbon: SOC_REF and the management factors (F_LU = 1 and D are exact)
    union all
    select soil_carbon_factors.year, soil_carbon_factors.zone_id, soil_carbon_factors.county_code,
        soil_carbon_factors.land_class, 'factor',
        'factor|' || soil_carbon_factors.parameter || '|' || soil_carbon_factors.stratum,
        soil_carbon_factors.sensitivity_co2e_t * f.u95_pct / 100.0,
    from soil_carbon_factors
    inner join factors as f on f.parameter = soil_carbon_factors.parameter and f.stratum = soil_carbon_factors.stratum
    -- wetland CH4 in the net sink: the emission factor (WS13 Ch5 Table 5.4, IPCC 2019 Ch7 Table
    -- 7.12 or WS13 Ch3 Table 3.3, by the parcel's treatment)
    union all
    select wetland.year, wetland.zone_id, wetland.county_code, wetland.land_class, 'factor',
        'factor|' || wetland.ch4_ef_parameter || '|' || wetland.ch4_ef_stratum,
        -wetland.emissions_co2e_t * ef.u95_pct / 100.0,
    from wetland
    inner join factors as ef on ef.parameter = wetland.ch4_ef_parameter and ef.stratum = wetland.ch4_ef_stratum
    -- wetland soil carbon: SOC_REF of the mineral-soil route (F_LU of Table 5.3 has no stated
    -- uncertainty), the CO2 EF of rewetted organic soils
    union all
    select wetland_soil.year, wetland_soil.zone_id, wetland_soil.county_code, wetland_soil.land_class, 'factor',
        'factor|soc_ref_0_30cm|' || wetland_soil.soc_ref_stratum,
        wetland_soil.soc_change_co2e_t * f.u95_pct / 100.0,
    from wetland_soil
    inner join factors as f on f.parameter = 'soc_ref_0_30cm' and f.stratum = wetland_soil.soc_ref_stratum
    where wetland_soil.soil_route = 'soc_flu'
    union all
    select wetland_soil.year, wetland_soil.zone_id, wetland_soil.county_code, wetland_soil.land_class, 'factor',
        'factor|' || wetland_soil.co2_ef_parameter || '|' || wetland_soil.co2_ef_stratum,
        wetland_soil.soc_change_co2e_t * f.u95_pct / 100.0,
    from wetland_soil
    inner join factors as f on f.parameter = wetland_soil.co2_ef_parameter and f.stratum = wetland_soil.co2_ef_stratum
    where wetland_soil.soil_route = 'co2_ef'
),

final as (
    select * from terms where u95_co2e_t <> 0
)

select * from final
