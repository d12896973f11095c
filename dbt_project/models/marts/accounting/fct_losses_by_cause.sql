-- Carbon losses by cause, long format: one row per year, zone, county, land class, cause and
-- what the sink did with the loss (is_deducted). The flag is each loss's own (int_sink_components
-- decides it per report or parcel), never its group's method: a fire that no plot recorded is
-- deducted even in a stock-difference year, fire CH4/N2O always is; mortality and harvest
-- measured on the plots are deducted in gain-loss years and inside the stock change in
-- stock-difference years. So the deducted rows add up to fct_annual_sink.emissions_co2e_t -
-- wetland_ch4_co2e_t for every row of it (tests/assert_deducted_losses_reconcile_with_annual_sink.sql).
-- loss_basis splits each cause by what its losses rest on: fire and fire_non_co2 by fire_report
-- (the reported burned area) or fire_event (a FIRMS fire event that no report describes: its pixel
-- area; source_id 'fire_event:<event_id>', int_fire_loss_sources), pest_report, plot_tally
-- (mortality, harvest), survey (soil carbon). A fire is counted once, from its report if it has one.
with components as (
    select * from {{ ref('int_sink_components') }}
),

losses as (
    select
        year,
        zone_id,
        county_code,
        land_class,
        case component
            when 'loss_fire_co2' then 'fire'
            when 'loss_pest_co2' then 'pest'
            when 'fire_non_co2' then 'fire_non_co2'
            when 'loss_mortality_co2' then 'mortality'
            when 'loss_harvest_co2' then 'harvest'
            when 'soc_loss' then 'soil_carbon'
        end as cause,
        loss_basis,
        is_deducted,
        source_id,
        amount_co2e_t,
    from components
    where component in (
        'loss_fire_co2', 'loss_pest_co2', 'loss_mortality_co2', 'loss_harvest_co2', 'fire_non_co2', 'soc_loss'
    )
        and amount_co2e_t <> 0
),

final as (
    select
        year,
        zone_id,
        county_code,
        land_class,
        cause,
        loss_basis,
        is_deducted,
        {{ measure('sum(amount_co2e_t order by source_id)') }} as loss_co2e_t,
        count(distinct source_id) as n_sources,
    from losses
    group by year, zone_id, county_code, land_class, cause, loss_basis, is_deducted
)

select * from final
