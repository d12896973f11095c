-- Every quantity that enters the annual sink, one row per parcel (or report) x year x component,
-- in t CO2e, with how it enters the net sink (removals positive, emissions negative):
--   removals       forest: stock_difference or gain_loss (int_forest_sink_annual); grassland:
--                  tier1_no_change rows carrying the parcel area (biomass in balance under Tier 1)
--   soc_gain       grassland soil carbon gained after a management change (int_grassland_soc_
--                  change, method ipcc_tier1_soc): a removal
--   soc_loss       grassland soil carbon lost after a management change (e.g. nominal -> severely
--                  degraded): an emission, always deducted. Both carry area 0 (the tier1 row
--                  carries the parcel's area)
--   loss_fire_co2  fire CO2 (Eq 2.27)                           } deducted unless a plot of the
--   loss_pest_co2  pest CO2 through biomass loss (Eq 2.14)      } parcel recorded the loss between
--                                                                 two tallies: then it is inside
--                                                                 that stock change already ("of
--                                                                 which"), whatever the year's
--                                                                 method (int_disturbance_losses_
--                                                                 allocated): counted exactly once
--   loss_mortality_co2  natural mortality measured on the remeasured plots (trees dead or gone
--   loss_harvest_co2    between tallies; trees cut: Eq 2.11-2.13), per tree-forest parcel-year:
--                       deducted in gain_loss years (removals there are gross growth), inside the
--                       stock change ("of which") in stock_difference years
--   fire_non_co2   fire CH4 + N2O (Eq 2.27), always deducted
-- Fire rows come from reports and from FIRMS fire events no report describes (int_fire_loss_
-- sources): source_id is the report id or 'fire_event:<event_id>'. loss_basis says what a loss
-- rests on: fire_report, fire_event, pest_report, plot_tally (mortality, harvest), survey (soil
-- carbon lost); null on removals, gains and wetland CH4.
--   wetland_ch4    CH4 of wetlands whose treatment is accounted (restored, created, rewetted; drained
--                  ones carry 0): method ws13_ch5 / ws13_ch3, rows carrying the wetland area, deducted
--   wetland_ch4_memo  CH4 of natural unmanaged and protected wetlands (method memo_excluded, rows
--                  carrying the wetland area): outside the inventory, not deducted (0 in the net),
--                  reported as memo_unmanaged_ch4_co2e_t; deducted only with var wetland_scope = all
--   soc_gain/soc_loss of wetlands: soil carbon after restoration, creation or drainage (WS13 Ch5)
--                  or CO2 of rewetted organic soil (WS13 Ch3), int_wetland_soc_change
with forest_sink as (
    select * from {{ ref('int_forest_sink_annual') }}
),

grassland as (
    select * from {{ ref('int_grassland_parcels_estimated') }}
),

soil_carbon as (
    select * from {{ ref('int_grassland_soc_change') }}
),

wetland as (
    select * from {{ ref('int_wetland_methane_estimated') }}
),

wetland_soil as (
    select * from {{ ref('int_wetland_soc_change') }}
),

fires as (
    select * from {{ ref('int_fire_emissions_estimated') }}
),

losses as (
    select * from {{ ref('int_disturbance_losses_allocated') }}
    where loss_co2e_t > 0
),

base as (
    select
        year, zone_id, county_code, land_class, parcel_id, parcel_id as source_id,
        'removals' as component, method, area_mu, removals_co2e_t as amount_co2e_t, true as is_deducted,
        cast(null as varchar) as loss_basis,
    from forest_sink
    union all
    select
        survey_year, zone_id, county_code, land_class, parcel_id, parcel_id,
        'removals', 'tier1_no_change', area_mu, 0.0, true, null,
    from grassland
    union all
    select
        year, zone_id, county_code, land_class, parcel_id, parcel_id || '@' || change_year,
        case when soc_change_co2e_t >= 0 then 'soc_gain' else 'soc_loss' end, 'ipcc_tier1_soc', 0.0,
        abs(soc_change_co2e_t), true, case when soc_change_co2e_t < 0 then 'survey' end,
    from soil_carbon
    union all
    select
        year, zone_id, county_code, land_class, parcel_id, parcel_id,
        case when is_in_net_sink then 'wetland_ch4' else 'wetland_ch4_memo' end, method,
        wetland_area_mu, emissions_co2e_t, is_in_net_sink, null,
    from wetland
    union all
    select
        year, zone_id, county_code, land_class, parcel_id, parcel_id || '@' || status_since,
        case when soc_change_co2e_t >= 0 then 'soc_gain' else 'soc_loss' end, method, 0.0,
        abs(soc_change_co2e_t), true, case when soc_change_co2e_t < 0 then 'survey' end,
    from wetland_soil
),

disturbance as (
    select
        losses.year, losses.zone_id, losses.county_code, losses.land_class, losses.parcel_id,
        losses.report_id,
        'loss_' || losses.cause || '_co2', cast(null as varchar), 0.0, losses.loss_co2e_t,
        losses.is_deducted, losses.loss_basis,
    from losses
    union all
    select
        year, zone_id, county_code, land_class, parcel_id, parcel_id,
        'loss_mortality_co2', null, 0.0, mortality_co2e_t, method = 'gain_loss', 'plot_tally',
    from forest_sink
    where mortality_co2e_t <> 0
    union all
    select
        year, zone_id, county_code, land_class, parcel_id, parcel_id,
        'loss_harvest_co2', null, 0.0, harvest_co2e_t, method = 'gain_loss', 'plot_tally',
    from forest_sink
    where harvest_co2e_t <> 0
    union all
    select
        year, zone_id, county_code, land_class, parcel_id, report_id,
        'fire_non_co2', null, 0.0, emissions_co2e_t, true, loss_basis,
    from fires
),

unioned as (
    select * from base
    union all
    select * from disturbance
),

final as (
    select
        *,
        case
            when component in ('removals', 'soc_gain') then amount_co2e_t
            when is_deducted then -amount_co2e_t
            else 0.0
        end as net_contribution_co2e_t,
    from unioned
)

select * from final
