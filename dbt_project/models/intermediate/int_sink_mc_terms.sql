-- The annual net sink as a sum of products of its uncertain inputs, one row per group (year x land
-- class) and product: net = sum of coef_co2e_t x (product of the relative draws x*/x of the factors
-- in factor_keys) x (a Student-t draw of sampling_key, when there is one). At x* = x and no
-- sampling error the rows add up to fct_city_annual_sink.net_sink_co2e_t (test
-- assert_monte_carlo_model_reproduces_the_estimate). fct_city_sink_uncertainty (IPCC 2006 Vol 1
-- Ch 3 Approach 2) draws every input from its PDF and evaluates this sum per draw, so products of
-- factors (fuel x EF, SOC_REF x F_MG x F_I, V x BCEF_S x (1 + R) x CF) and the same factor in two
-- places (both cycles of a stock difference, every parcel of a stratum) are honoured.
--   removals, stock difference (Eq 2.5/2.8)  area x 44/12 x (C_t2 - C_t1) / (t2 - t1), C by parts of
--       int_forest_carbon_parts (the same factors at both cycles cancel part by part); sampling:
--       paired plots, the stratum's net change (SE, df); otherwise the two cycles' stock estimates
--   removals, gain-loss (Eq 2.9-2.10)  area x 44/12 x gross increment by parts. Only the years
--       whose sink is gain-loss (int_forest_sink_gain_loss has every parcel-year;
--       is_stock_difference_year rows are the overlap check, not the sink)
--   mortality / harvest (Eq 2.11-2.13)  - area x 44/12 x the loss measured on the plots by parts
--       (int_forest_carbon_parts estimate 'mortality' / 'harvest', the t1 carbon of trees dead or
--       gone / cut: CF, and BCEF_S and R on the volume route), deducted in gain-loss years only
--       (inside the stock change otherwise)
--       sampling of the gain-loss net (growth - mortality - harvest of the same plots = their net
--       change): one draw of the stratum's paired net change (SE, df; key forest_change, as the
--       stock difference of that stratum and period), not three independent draws
--   soc_gain / soc_loss (Eq 2.25)  S x F_MG,to x F_I,to - S x F_MG,from x F_I,from, S = SOC_REF x
--       F_LU x A / D x 44/12: two products keyed by SOC_REF and the regimes' factors
--   wetland_ch4  - area x EF x GWP / 1000 (x 16/12 for a CH4-C factor, exact), keyed by the
--       wetland's CH4 EF parameter and stratum (int_wetland_methane_estimated: wetland_ch4_ef by
--       class, wetland_ch4_c_ef for rewetted organic soils); only rows with is_in_net_sink (the
--       flag, so var wetland_scope = all follows); the memo CH4 of unmanaged wetlands and the
--       all-wetlands column are never drawn
--   wetland_soil_carbon  int_wetland_soc_change: mineral soils (soil_route soc_flu) SOC_REF x
--       (F_LU,new - F_LU,old) x A / D x 44/12 keyed by SOC_REF (F_LU of WS13 Table 5.3 has no
--       stated range, D and 44/12 exact); rewetted organic soils (co2_ef) - EF x A x 44/12 keyed by
--       the CO2-C EF (range -0.71 to 1.71: drawn normal, it can change sign)
--   fire_non_co2 (Eq 2.27)  - A x M_B x C_f x G_ef x GWP per gas, keyed by the gas's EF and the
--       fuel: Table 2.4 M_B*C_f (fire_fuel_consumed; grassland, shrub, a forest parcel without
--       plots), or plot AGB x C_f (combustion_factor; fuel_stratum null) with the AGB stratum's
--       sampling error; an unreported fire event (int_fire_loss_sources) also by its area
--       (fire_event_area_ratio|<area basis>), the same draw for its CO2 loss and its CH4/N2O
--   losses (reported, deducted: int_disturbance_losses_allocated via int_sink_components)
--       fire_eq_2_27     - A x M_B x C_f x G_ef(CO2), keyed by the CO2 EF and the fuel as above;
--                          sampling: the AGB stratum (the same draw as the fire's CH4 and N2O)
--       area_fd          - A x density x fd, keyed by CF and fd; sampling: the stock stratum
--       dead_tree_count  - n x mean tree carbon, keyed by CF; sampling: the host's tree mean
--       each sampling row: - loss x SE / mean (= loss x sampling_u95_pct / 100 / t_975), t with the
--       estimate's df
-- A sampling row's coef is the sink's change for one standard error of its estimate; its draw is
-- Student's t with sampling_df degrees of freedom (normal when sampling_df is null).
with stock_difference as (
    select * from {{ ref('int_forest_sink_stock_difference') }}
),

gain_loss as (
    -- the parcel-years whose sink is gain-loss
    select * from {{ ref('int_forest_sink_gain_loss') }}
    where not is_stock_difference_year
),

forest_parcels as (
    select * from {{ ref('int_forest_parcels_estimated') }}
),

parts as (
    select * from {{ ref('int_forest_carbon_parts') }}
),

increment_strata as (
    select * from {{ ref('int_forest_increment_strata_estimated') }}
),

soil_carbon as (
    select * from {{ ref('int_grassland_soc_change') }}
),

wetland as (
    -- only the CH4 in the net sink (the flag, not the treatment: wetland_scope = all adds the rest)
    select * from {{ ref('int_wetland_methane_estimated') }}
    where is_in_net_sink and ch4_ef_parameter is not null
),

wetland_soil as (
    select * from {{ ref('int_wetland_soc_change') }}
),

fires as (
    select * from {{ ref('int_fire_emissions_estimated') }}
),

losses as (
    select * from {{ ref('int_disturbance_losses_estimated') }}
),

components as (
    select * from {{ ref('int_sink_components') }}
),

c_to_co2 as (
    select value from {{ ref('seed_carbon_factors') }} where parameter = 'c_to_co2' and stratum = 'all'
),

-- stock difference: the parcel's stratum parts at both cycles
sd_parcels as (
    select
        stock_difference.parcel_id,
        stock_difference.year,
        stock_difference.land_class,
        stock_difference.year_t1,
        stock_difference.year_t2,
        stock_difference.stratum_id_t1,
        stock_difference.stratum_id_t2,
        stock_difference.is_sampling_paired,
        t2.area_ha,
        t1.carbon_t_per_ha_se as se_t1,
        t1.sampling_df as df_t1,
        t2.carbon_t_per_ha_se as se_t2,
        t2.sampling_df as df_t2,
    from stock_difference
    inner join forest_parcels as t1
        on stock_difference.parcel_id = t1.parcel_id and stock_difference.year_t1 = t1.inventory_year
    inner join forest_parcels as t2
        on stock_difference.parcel_id = t2.parcel_id and stock_difference.year_t2 = t2.inventory_year
),

sd_parts as (
    select
        sd_parcels.year,
        sd_parcels.land_class,
        parts.factor_keys,
        sd_parcels.area_ha * c_to_co2.value / (sd_parcels.year_t2 - sd_parcels.year_t1)
            * case when parts.year_t2 = sd_parcels.year_t2 then 1.0 else -1.0 end
            * parts.part_t_c_per_ha as coef_co2e_t,
    from sd_parcels
    cross join c_to_co2
    inner join parts
        on parts.estimate = 'stock'
        and (
            (parts.stratum_id = sd_parcels.stratum_id_t2 and parts.year_t2 = sd_parcels.year_t2)
            or (parts.stratum_id = sd_parcels.stratum_id_t1 and parts.year_t2 = sd_parcels.year_t1)
        )
),

sd_sampling as (
    select
        sd_parcels.year,
        sd_parcels.land_class,
        'forest_change|' || sd_parcels.stratum_id_t2 || '|' || sd_parcels.year_t1 || '-' || sd_parcels.year_t2
            as sampling_key,
        increment_strata.sampling_df,
        sd_parcels.area_ha * c_to_co2.value * increment_strata.net_change_t_c_per_ha_yr_se as coef_co2e_t,
    from sd_parcels
    cross join c_to_co2
    inner join increment_strata
        on sd_parcels.is_sampling_paired
        and increment_strata.stratum_id = sd_parcels.stratum_id_t2
        and increment_strata.year_t1 = sd_parcels.year_t1
        and increment_strata.year_t2 = sd_parcels.year_t2
    union all
    select
        year, land_class, 'forest_stock|' || stratum_id_t1 || '|' || year_t1, df_t1,
        -area_ha * c_to_co2.value * se_t1 / (year_t2 - year_t1),
    from sd_parcels
    cross join c_to_co2
    where not is_sampling_paired
    union all
    select
        year, land_class, 'forest_stock|' || stratum_id_t2 || '|' || year_t2, df_t2,
        area_ha * c_to_co2.value * se_t2 / (year_t2 - year_t1),
    from sd_parcels
    cross join c_to_co2
    where not is_sampling_paired
),

gl_parts as (
    select
        gain_loss.year,
        gain_loss.land_class,
        parts.factor_keys,
        gain_loss.area_ha * c_to_co2.value * parts.part_t_c_per_ha as coef_co2e_t,
    from gain_loss
    cross join c_to_co2
    inner join parts
        on parts.estimate = 'increment'
        and parts.stratum_id = gain_loss.stratum_id
        and parts.year_t1 = gain_loss.increment_year_t1
        and parts.year_t2 = gain_loss.increment_year_t2
),

gl_sampling as (
    -- the net gain's sampling error: the paired net change of the plots (Approach 1 alike)
    select
        gain_loss.year,
        gain_loss.land_class,
        'forest_change|' || gain_loss.stratum_id || '|' || gain_loss.increment_year_t1 || '-'
            || gain_loss.increment_year_t2 as sampling_key,
        increment_strata.sampling_df,
        gain_loss.area_ha * c_to_co2.value * increment_strata.net_change_t_c_per_ha_yr_se as coef_co2e_t,
    from gain_loss
    cross join c_to_co2
    inner join increment_strata
        on increment_strata.stratum_id = gain_loss.stratum_id
        and increment_strata.year_t1 = gain_loss.increment_year_t1
        and increment_strata.year_t2 = gain_loss.increment_year_t2
),

gl_loss_parts as (
    select
        gain_loss.year,
        gain_loss.land_class,
        parts.estimate as component,
        parts.factor_keys,
        -gain_loss.area_ha * c_to_co2.value * parts.part_t_c_per_ha as coef_co2e_t,
    from gain_loss
    cross join c_to_co2
    inner join parts
        on parts.estimate in ('mortality', 'harvest')
        and parts.stratum_id = gain_loss.stratum_id
        and parts.year_t1 = gain_loss.increment_year_t1
        and parts.year_t2 = gain_loss.increment_year_t2
),

soc as (
    select
        year, land_class,
        'soc_ref_0_30cm|' || soc_ref_stratum || ';soc_factor_FMG|' || fmg_stratum_to
            || ';soc_factor_FI|' || fi_stratum_to as factor_keys,
        co2e_t_per_unit_management_factor * f_mg_to * f_i_to as coef_co2e_t,
    from soil_carbon
    union all
    select
        year, land_class,
        'soc_ref_0_30cm|' || soc_ref_stratum || ';soc_factor_FMG|' || fmg_stratum_from
            || ';soc_factor_FI|' || fi_stratum_from,
        -co2e_t_per_unit_management_factor * f_mg_from * f_i_from,
    from soil_carbon
),

methane as (
    select year, land_class, ch4_ef_parameter || '|' || ch4_ef_stratum as factor_keys, -emissions_co2e_t as coef_co2e_t,
    from wetland
),

wetland_soc as (
    select
        year, land_class,
        case soil_route
            when 'soc_flu' then 'soc_ref_0_30cm|' || soc_ref_stratum
            when 'co2_ef' then co2_ef_parameter || '|' || co2_ef_stratum
        end as factor_keys,
        soc_change_co2e_t as coef_co2e_t,
    from wetland_soil
),

-- the fuel of a fire, shared by its gases: Table 2.4 M_B*C_f, or plot AGB x C_f (Table 2.6)
fire_fuel as (
    select
        *,
        concat_ws(';', 'fire_fuel_consumed|' || fuel_stratum, 'combustion_factor|' || combustion_stratum,
            'fire_event_area_ratio|' || area_stratum) as fuel_keys,
    from fires
),

fire_gases as (
    select year, land_class, concat_ws(';', 'fire_ef_ch4|' || ef_stratum, fuel_keys) as factor_keys,
        -ch4_co2e_t as coef_co2e_t,
    from fire_fuel
    union all
    select year, land_class, concat_ws(';', 'fire_ef_n2o|' || ef_stratum, fuel_keys), -n2o_co2e_t,
    from fire_fuel
),

fire_gas_sampling as (
    -- plot-AGB fuel: the AGB stratum's sampling error moves every gas of the fire
    select
        year, land_class, sampling_key, sampling_df,
        -(ch4_co2e_t + n2o_co2e_t) * fuel_u95_pct / 100.0 / sampling_t_975 as coef_co2e_t,
    from fires
    where sampling_key is not null and sampling_t_975 is not null
),

deducted_losses as (
    select losses.*
    from losses
    inner join components
        on components.source_id = losses.report_id
        and components.component in ('loss_fire_co2', 'loss_pest_co2')
        and components.is_deducted
),

loss_products as (
    select
        year, land_class,
        case loss_route
            when 'fire_eq_2_27' then concat_ws(';',
                'fire_ef_co2|' || ef_stratum, 'fire_fuel_consumed|' || fuel_stratum,
                'combustion_factor|' || combustion_stratum, 'fire_event_area_ratio|' || area_stratum)
            when 'area_fd' then 'carbon_fraction_biomass|' || cf_stratum || ';disturbance_fd|' || fd_stratum
            when 'dead_tree_count' then 'carbon_fraction_biomass|' || cf_stratum
        end as factor_keys,
        -loss_co2e_t as coef_co2e_t,
    from deducted_losses
),

loss_sampling as (
    select
        year, land_class, sampling_key, sampling_df,
        -- one SE of the estimate, relative to it: the 95 % half-width / t
        -loss_co2e_t * sampling_u95_pct / 100.0 / sampling_t_975 as coef_co2e_t,
    from deducted_losses
    where sampling_key is not null and sampling_t_975 is not null
),

products as (
    select year, land_class, 'removals' as component, factor_keys, coef_co2e_t from sd_parts
    union all select year, land_class, 'removals', factor_keys, coef_co2e_t from gl_parts
    union all select year, land_class, component, factor_keys, coef_co2e_t from gl_loss_parts
    union all select year, land_class, 'soil_carbon', factor_keys, coef_co2e_t from soc
    union all select year, land_class, 'wetland_ch4', factor_keys, coef_co2e_t from methane
    union all select year, land_class, 'wetland_soil_carbon', factor_keys, coef_co2e_t from wetland_soc
    union all select year, land_class, 'fire_non_co2', factor_keys, coef_co2e_t from fire_gases
    union all select year, land_class, 'losses', factor_keys, coef_co2e_t from loss_products
),

sampling as (
    select year, land_class, 'removals' as component, sampling_key, sampling_df, coef_co2e_t from sd_sampling
    union all select year, land_class, 'removals', sampling_key, sampling_df, coef_co2e_t from gl_sampling
    union all select year, land_class, 'fire_non_co2', sampling_key, sampling_df, coef_co2e_t from fire_gas_sampling
    union all select year, land_class, 'losses', sampling_key, sampling_df, coef_co2e_t from loss_sampling
),

final as (
    select
        year, land_class, component, factor_keys,
        cast(null as varchar) as sampling_key,
        cast(null as integer) as sampling_df,
        round(sum(coef_co2e_t order by coef_co2e_t), 6) as coef_co2e_t,
    from products
    group by year, land_class, component, factor_keys
    union all
    select
        year, land_class, component, '', sampling_key, any_value(sampling_df),
        round(sum(coef_co2e_t order by coef_co2e_t), 6),
    from sampling
    group by year, land_class, component, sampling_key
)

select * from final
