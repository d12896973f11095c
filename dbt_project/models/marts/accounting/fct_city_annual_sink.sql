-- City totals of the annual sink per year and land class, plus an 'all' row per year (t CO2e,
-- removals positive). The uncertainty is recomputed from the terms (macro approach1_u95), not
-- added up from fct_annual_sink rows: parcels of different zones share stratum estimates and
-- factors, whose errors are correlated.
with components as (
    select * from {{ ref('int_sink_components') }}
),

terms as (
    select * from {{ ref('int_sink_uncertainty_terms') }}
),

by_class as (
    select
        year,
        land_class,
        sum(area_mu) as area_mu,
        sum(amount_co2e_t) filter (where component in ('removals', 'soc_gain')) as removals_co2e_t,
        sum(amount_co2e_t) filter (where component not in ('removals', 'soc_gain') and is_deducted) as emissions_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_fire_co2') as loss_fire_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_pest_co2') as loss_pest_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_mortality_co2') as loss_mortality_co2e_t,
        sum(amount_co2e_t) filter (where component = 'loss_harvest_co2') as loss_harvest_co2e_t,
        sum(amount_co2e_t) filter (where component like 'loss_%' and is_deducted) as losses_deducted_co2e_t,
        sum(amount_co2e_t) filter (where component = 'fire_non_co2') as fire_non_co2_co2e_t,
        sum(amount_co2e_t) filter (where component like 'wetland_ch4%' and is_deducted) as wetland_ch4_co2e_t,
        sum(amount_co2e_t) filter (where component = 'wetland_ch4_memo' and not is_deducted) as memo_unmanaged_ch4_co2e_t,
        sum(net_contribution_co2e_t) filter (where component in ('soc_gain', 'soc_loss')) as soc_change_co2e_t,
        string_agg(distinct method, ',' order by method)
            filter (where component in ('removals', 'soc_gain', 'soc_loss', 'wetland_ch4', 'wetland_ch4_memo')) as methods,
    from components
    group by year, land_class
),

year_methods as (
    select
        year,
        string_agg(distinct method, ',' order by method)
            filter (where component in ('removals', 'soc_gain', 'soc_loss', 'wetland_ch4', 'wetland_ch4_memo')) as methods,
    from components
    group by year
),

all_classes as (
    select
        year,
        'all' as land_class,
        sum(area_mu),
        sum(removals_co2e_t),
        sum(emissions_co2e_t),
        sum(loss_fire_co2e_t),
        sum(loss_pest_co2e_t),
        sum(loss_mortality_co2e_t),
        sum(loss_harvest_co2e_t),
        sum(losses_deducted_co2e_t),
        sum(fire_non_co2_co2e_t),
        sum(wetland_ch4_co2e_t),
        sum(memo_unmanaged_ch4_co2e_t),
        sum(soc_change_co2e_t),
        any_value(year_methods.methods),
    from by_class
    inner join year_methods using (year)
    group by year
),

totals as (
    select * from by_class
    union all
    select * from all_classes
),

uncertainty as (
    {{ approach1_u95('terms', ['year', 'land_class']) }}
    union all
    select year, 'all', u95_co2e_t, sampling_u95_co2e_t, factor_u95_co2e_t
    from ({{ approach1_u95('terms', ['year']) }})
),

final as (
    select
        totals.year,
        totals.land_class,
        totals.methods,
        {{ measure('coalesce(totals.area_mu, 0)', 4) }} as area_mu,
        {{ measure('coalesce(totals.removals_co2e_t, 0)') }} as removals_co2e_t,
        {{ measure('coalesce(totals.emissions_co2e_t, 0)') }} as emissions_co2e_t,
        {{ measure('coalesce(totals.removals_co2e_t, 0)') }}
            - {{ measure('coalesce(totals.emissions_co2e_t, 0)') }} as net_sink_co2e_t,
        {{ measure('coalesce(totals.loss_fire_co2e_t, 0)') }} as loss_fire_co2e_t,
        {{ measure('coalesce(totals.loss_pest_co2e_t, 0)') }} as loss_pest_co2e_t,
        {{ measure('coalesce(totals.loss_mortality_co2e_t, 0)') }} as loss_mortality_co2e_t,
        {{ measure('coalesce(totals.loss_harvest_co2e_t, 0)') }} as loss_harvest_co2e_t,
        {{ measure('coalesce(totals.losses_deducted_co2e_t, 0)') }} as losses_deducted_co2e_t,
        {{ measure('coalesce(totals.fire_non_co2_co2e_t, 0)') }} as fire_non_co2_co2e_t,
        {{ measure('coalesce(totals.wetland_ch4_co2e_t, 0)') }} as wetland_ch4_co2e_t,
        {{ measure('coalesce(totals.memo_unmanaged_ch4_co2e_t, 0)') }} as memo_unmanaged_ch4_co2e_t,
        -- every wetland's CH4 in the net sink (the sensitivity of var wetland_scope = all), beside
        -- the default; equal to net_sink_co2e_t when the build ran with wetland_scope = all
        {{ measure('coalesce(totals.removals_co2e_t, 0)') }}
            - {{ measure('coalesce(totals.emissions_co2e_t, 0)') }}
            - {{ measure('coalesce(totals.memo_unmanaged_ch4_co2e_t, 0)') }} as net_sink_all_wetlands_co2e_t,
        '{{ var("wetland_scope") }}' as wetland_scope,
        {{ measure('coalesce(totals.soc_change_co2e_t, 0)') }} as soc_change_co2e_t,
        {{ measure('coalesce(uncertainty.sampling_u95_co2e_t, 0)') }} as net_sink_sampling_u95_co2e_t,
        {{ measure('coalesce(uncertainty.factor_u95_co2e_t, 0)') }} as net_sink_factor_u95_co2e_t,
        {{ measure('coalesce(uncertainty.u95_co2e_t, 0)') }} as net_sink_u95_co2e_t,
        round(100.0 * coalesce(uncertainty.u95_co2e_t, 0)
            / nullif(abs(coalesce(totals.removals_co2e_t, 0) - coalesce(totals.emissions_co2e_t, 0)), 0), 2)
            as net_sink_u95_pct,
        {{ measure('coalesce(totals.removals_co2e_t, 0) - coalesce(totals.emissions_co2e_t, 0) - coalesce(uncertainty.u95_co2e_t, 0)') }}
            as net_sink_ci95_low_co2e_t,
        {{ measure('coalesce(totals.removals_co2e_t, 0) - coalesce(totals.emissions_co2e_t, 0) + coalesce(uncertainty.u95_co2e_t, 0)') }}
            as net_sink_ci95_high_co2e_t,
        'removal_positive' as sign_convention,
    from totals
    left join uncertainty on totals.year = uncertainty.year and totals.land_class = uncertainty.land_class
)

select * from final
