-- Annual net sink per year, development zone, county and land class (t CO2e; removals positive,
-- emissions positive, net = removals - emissions). One method per row, never two:
--   stock_difference  forest, years inside a remeasurement interval: removals = net stock change,
--                     which already contains the losses that the parcel's plots recorded between
--                     their two tallies (reported as "of which" in loss_*_co2e_t, not deducted
--                     again); a reported loss that no plot recorded is deducted as an emission
--   gain_loss         forest, years no remeasurement covers: removals = gross growth from the
--                     plots' own increment; reported fire and pest CO2 losses deducted as emissions
--                     unless a later tally recorded them
--   tier1_no_change   grassland biomass in balance under IPCC Tier 1
--   ws13_ch5          wetlands restored, created or drained on mineral soil (2013 Wetlands Supplement
--                     Ch5): CH4 (Table 5.4) and soil carbon (Tables 5.2/5.3, Eq 2.25) in the sink
--   ws13_ch3          rewetted organic soils (WS13 Ch3): CO2 (Table 3.1) and CH4 (Table 3.3)
--   memo_excluded     wetlands outside the inventory (natural unmanaged, protected: IPCC managed-
--                     land rule): their CH4 is memo_unmanaged_ch4_co2e_t, not in the net sink
--   ipcc_tier1_soc    grassland with a soil-carbon change after a management change (IPCC 2006
--                     Eq 2.25, F_MG/F_I of IPCC 2019 Table 6.2), biomass still Tier 1: soil
--                     carbon gains are removals, losses emissions (soc_change_co2e_t: the net)
--   non_co2_only      forest groups with only fire CH4/N2O known (shrub-forest fires: shrub
--                     biomass is outside the account on both sides)
-- Each loss is deducted or inside a stock change, never both and never neither
-- (int_disturbance_losses_allocated). Uncertainty: IPCC Approach 1 (macro approach1_u95).
with components as (
    select * from {{ ref('int_sink_components') }}
),

terms as (
    select * from {{ ref('int_sink_uncertainty_terms') }}
),

grouped as (
    select
        year,
        zone_id,
        county_code,
        land_class,
        coalesce(
            max(method) filter (where component = 'removals' and land_class = 'forest'),
            max(method) filter (where component in ('soc_gain', 'soc_loss')),
            max(method) filter (where method is not null),
            case when sum(amount_co2e_t) filter (where component like 'loss_%') > 0 then 'gain_loss' else 'non_co2_only' end
        ) as method,
        sum(area_mu) as area_mu,
        sum(amount_co2e_t) filter (where component in ('removals', 'soc_gain')) as removals_co2e_t,
        sum(amount_co2e_t) filter (where component not in ('removals', 'soc_gain') and is_deducted) as emissions_co2e_t,
        sum(net_contribution_co2e_t) filter (where component in ('soc_gain', 'soc_loss')) as soc_change_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_fire_co2') as loss_fire_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_pest_co2') as loss_pest_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_mortality_co2') as loss_mortality_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_harvest_co2') as loss_harvest_co2e_t,
        sum(amount_co2e_t) filter (where component like 'loss_%' and is_deducted) as losses_deducted_co2e_t,
        sum(amount_co2e_t) filter (where component = 'fire_non_co2') as fire_non_co2_co2e_t,
        sum(amount_co2e_t) filter (where component like 'wetland_ch4%' and is_deducted) as wetland_ch4_co2e_t,
        sum(amount_co2e_t) filter (where component = 'wetland_ch4_memo' and not is_deducted) as memo_unmanaged_ch4_co2e_t,
        count(distinct parcel_id) filter (where component in ('removals', 'wetland_ch4', 'wetland_ch4_memo')) as n_parcels,
    from components
    group by year, zone_id, county_code, land_class
),

uncertainty as (
    {{ approach1_u95('terms', ['year', 'zone_id', 'county_code', 'land_class']) }}
),

final as (
    select
        grouped.year,
        grouped.zone_id,
        grouped.county_code,
        grouped.land_class,
        grouped.method,
        {{ measure('coalesce(grouped.area_mu, 0)', 4) }} as area_mu,
        {{ measure('coalesce(grouped.removals_co2e_t, 0)') }} as removals_co2e_t,
        {{ measure('coalesce(grouped.emissions_co2e_t, 0)') }} as emissions_co2e_t,
        {{ measure('coalesce(grouped.removals_co2e_t, 0)') }}
            - {{ measure('coalesce(grouped.emissions_co2e_t, 0)') }} as net_sink_co2e_t,
        grouped.n_parcels,
        {{ measure('coalesce(grouped.loss_fire_co2e_t, 0)') }} as loss_fire_co2e_t,
        {{ measure('coalesce(grouped.loss_pest_co2e_t, 0)') }} as loss_pest_co2e_t,
        {{ measure('coalesce(grouped.loss_mortality_co2e_t, 0)') }} as loss_mortality_co2e_t,
        {{ measure('coalesce(grouped.loss_harvest_co2e_t, 0)') }} as loss_harvest_co2e_t,
        {{ measure('coalesce(grouped.fire_non_co2_co2e_t, 0)') }} as fire_non_co2_co2e_t,
        {{ measure('coalesce(grouped.wetland_ch4_co2e_t, 0)') }} as wetland_ch4_co2e_t,
        {{ measure('coalesce(grouped.memo_unmanaged_ch4_co2e_t, 0)') }} as memo_unmanaged_ch4_co2e_t,
        {{ measure('coalesce(grouped.soc_change_co2e_t, 0)') }} as soc_change_co2e_t,
        {{ measure('coalesce(grouped.losses_deducted_co2e_t, 0)') }} as losses_deducted_co2e_t,
        {{ measure('coalesce(uncertainty.sampling_u95_co2e_t, 0)') }} as net_sink_sampling_u95_co2e_t,
        {{ measure('coalesce(uncertainty.factor_u95_co2e_t, 0)') }} as net_sink_factor_u95_co2e_t,
        {{ measure('coalesce(uncertainty.u95_co2e_t, 0)') }} as net_sink_u95_co2e_t,
        round(100.0 * coalesce(uncertainty.u95_co2e_t, 0)
            / nullif(abs(coalesce(grouped.removals_co2e_t, 0) - coalesce(grouped.emissions_co2e_t, 0)), 0), 2)
            as net_sink_u95_pct,
        {{ measure('coalesce(grouped.removals_co2e_t, 0) - coalesce(grouped.emissions_co2e_t, 0) - coalesce(uncertainty.u95_co2e_t, 0)') }}
            as net_sink_ci95_low_co2e_t,
        {{ measure('coalesce(grouped.removals_co2e_t, 0) - coalesce(grouped.emissions_co2e_t, 0) + coalesce(uncertainty.u95_co2e_t, 0)') }}
            as net_sink_ci95_high_co2e_t,
        'removal_positive' as sign_convention,
    from grouped
    left join uncertainty
        on grouped.year = uncertainty.year
        and grouped.zone_id is not distinct from uncertainty.zone_id
        and grouped.county_code is not distinct from uncertainty.county_code
        and grouped.land_class = uncertainty.land_class
)

select * from final
