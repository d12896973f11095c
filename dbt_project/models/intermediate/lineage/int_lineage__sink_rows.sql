-- Row-level lineage of the marts built from int_sink_components (issue #16 item 3):
-- fct_annual_sink, fct_losses_by_cause, fct_city_annual_sink, fct_zone_progress and
-- fct_area_annual_sink. Every quantity of the sink is followed to the files it used: its
-- parcel, the plot tallies of the stratum-years of its stock change or increment
-- (int_lineage__stratum_files), the fire or pest report of a loss, the FIRMS files of an
-- unreported fire event, the host tallies of a dead-tree pest loss, the wetland or grassland
-- survey rows of methane and soil carbon. Roles: see the lineage model's header. A table of its
-- own so that the lineage mart re-reads it only when the sink changed (issue #17).
with parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

trees as (
    select * from {{ ref('int_trees_biomass_estimated') }}
),

components as (
    select * from {{ ref('int_sink_components') }}
),

stock_difference as (
    select * from {{ ref('int_forest_sink_stock_difference') }}
),

gain_loss as (
    select * from {{ ref('int_forest_sink_gain_loss') }}
),

forest_estimates as (
    select * from {{ ref('int_forest_parcels_estimated') }}
),

losses as (
    select * from {{ ref('int_disturbance_losses_estimated') }}
),

fire_emissions as (
    select * from {{ ref('int_fire_emissions_estimated') }}
),

wetland as (
    select * from {{ ref('int_wetland_methane_estimated') }}
),

soil_carbon as (
    select * from {{ ref('int_grassland_soc_change') }}
),

parcel_surveys as (
    select * from {{ ref('stg_survey__parcel_surveys') }}
),

reports as (
    select report_id, source_sha256 from {{ ref('stg_reports__fires') }}
    union all
    select report_id, source_sha256 from {{ ref('stg_reports__pests') }}
),

stock_strata_members as (
    select stratum_id, year, role, sha256 from {{ ref('int_lineage__stratum_files') }}
    where member_kind = 'stock' and land_class = 'forest'
),

increment_strata_members as (
    select stratum_id, year_t1, year_t2, role, sha256 from {{ ref('int_lineage__stratum_files') }}
    where member_kind = 'increment'
),

-- every quantity of fct_annual_sink (int_sink_components) with the stratum-years it used
stock_refs as (
    -- stock difference: the stock strata at both cycles
    select parcel_id, year, stratum_id_t1 as stratum_id, year_t1 as stock_year from stock_difference
    union all
    select parcel_id, year, stratum_id_t2, year_t2 from stock_difference
    union all
    -- gain-loss: the stock at the increment period's end cycle (its BCEF_S and R share)
    select gain_loss.parcel_id, gain_loss.year, forest_estimates.stratum_id, forest_estimates.inventory_year
    from gain_loss
    inner join forest_estimates
        on gain_loss.parcel_id = forest_estimates.parcel_id
        and gain_loss.increment_year_t2 = forest_estimates.inventory_year
),

component_evidence as (
    -- the parcel of every quantity
    select components.*, 'parcel' as role, parcels.source_sha256 as sha256,
    from components
    inner join parcels on components.parcel_id = parcels.parcel_id
    union all
    -- forest removals: the stock strata
    select components.*, members.role, members.sha256,
    from components
    inner join stock_refs
        on components.parcel_id = stock_refs.parcel_id and components.year = stock_refs.year
    inner join stock_strata_members as members
        on stock_refs.stratum_id = members.stratum_id and stock_refs.stock_year = members.year
    where components.component = 'removals' and components.land_class = 'forest'
    union all
    -- forest removals by gain-loss: the increment strata
    select components.*, members.role, members.sha256,
    from components
    inner join gain_loss
        on components.parcel_id = gain_loss.parcel_id and components.year = gain_loss.year
    inner join increment_strata_members as members
        on gain_loss.stratum_id = members.stratum_id
        and gain_loss.increment_year_t1 = members.year_t1
        and gain_loss.increment_year_t2 = members.year_t2
    where components.component = 'removals' and components.method = 'gain_loss'
    union all
    -- fire and pest losses and fire CH4/N2O: the report
    select components.*, 'disturbance_report', reports.source_sha256,
    from components
    inner join reports on components.source_id = reports.report_id
    where components.component in ('loss_fire_co2', 'loss_pest_co2', 'fire_non_co2')
    union all
    -- fire losses and CH4/N2O of an unreported fire event: the FIRMS files of its detections
    select components.*, 'fire_event_hotspots', event_files.sha256,
    from components
    inner join (
        select report_id, unnest(source_sha256s) as sha256
        from fire_emissions
        where loss_basis = 'fire_event'
    ) as event_files on components.source_id = event_files.report_id
    where components.component in ('loss_fire_co2', 'fire_non_co2')
    union all
    -- fire and pest losses: the stock density the loss used
    select components.*, members.role, members.sha256,
    from components
    inner join losses on components.source_id = losses.report_id
    inner join stock_strata_members as members
        on losses.stratum_id = members.stratum_id and losses.stock_cycle_year = members.year
    where components.component in ('loss_fire_co2', 'loss_pest_co2')
        and losses.loss_route = 'stock_density_fd'
    union all
    -- dead-tree pest losses: the host's tallies of the cycle of its mean tree carbon
    select components.*, 'host_trees', host.sha256,
    from components
    inner join losses on components.source_id = losses.report_id
    inner join (
        select distinct species, inventory_year, source_sha256 as sha256 from trees
    ) as host on losses.host_species = host.species and losses.tree_cycle_year = host.inventory_year
    where components.component = 'loss_pest_co2' and losses.loss_route = 'dead_tree_count'
    union all
    -- wetland CH4 (in the net sink or the memo of unmanaged wetlands) and wetland soil carbon
    -- (int_wetland_soc_change, by the status of that year's survey): the survey row
    select components.*, 'wetland_survey', wetland.source_sha256,
    from components
    inner join wetland on components.parcel_id = wetland.parcel_id and components.year = wetland.year
    where components.component in ('wetland_ch4', 'wetland_ch4_memo')
        or (components.component in ('soc_gain', 'soc_loss') and components.land_class = 'wetland')
    union all
    -- grassland soil carbon: the two surveys whose management classes set the change
    select components.*, 'parcel_survey', parcel_surveys.source_sha256,
    from components
    inner join soil_carbon
        on components.parcel_id = soil_carbon.parcel_id
        and components.year = soil_carbon.year
        and components.source_id = soil_carbon.parcel_id || '@' || soil_carbon.change_year
    inner join parcel_surveys
        on soil_carbon.parcel_id = parcel_surveys.parcel_id
        and parcel_surveys.survey_year in (soil_carbon.change_year, soil_carbon.previous_survey_year)
    where components.component in ('soc_gain', 'soc_loss')
),

final as (
    select distinct
        'fct_annual_sink' as mart,
        to_json({'year': year, 'zone_id': zone_id, 'county_code': county_code, 'land_class': land_class}) as row_key,
        role,
        sha256,
    from component_evidence
    union all
    select distinct
        'fct_losses_by_cause',
        to_json({
            'year': year, 'zone_id': zone_id, 'county_code': county_code, 'land_class': land_class,
            'cause': case component when 'loss_fire_co2' then 'fire' when 'loss_pest_co2' then 'pest' else component end
        }),
        role,
        sha256,
    from component_evidence
    where component in ('loss_fire_co2', 'loss_pest_co2', 'fire_non_co2')
    union all
    select distinct
        'fct_city_annual_sink',
        to_json({'year': year, 'land_class': land_class}),
        role,
        sha256,
    from component_evidence
    union all
    select distinct
        'fct_zone_progress',
        to_json({'zone_id': zone_id}),
        role,
        sha256,
    from component_evidence
    where zone_id is not null
    union all
    select distinct
        'fct_area_annual_sink',
        to_json({'area_kind': 'county', 'area_id': county_code, 'year': year, 'land_class': land_class}),
        role,
        sha256,
    from component_evidence
    where county_code is not null
    union all
    select distinct
        'fct_area_annual_sink',
        to_json({'area_kind': 'county', 'area_id': county_code, 'year': year, 'land_class': 'all'}),
        role,
        sha256,
    from component_evidence
    where county_code is not null
    union all
    select distinct
        'fct_area_annual_sink',
        to_json({'area_kind': 'zone', 'area_id': zone_id, 'year': year, 'land_class': 'all'}),
        role,
        sha256,
    from component_evidence
    where zone_id is not null
)

select mart, cast(row_key as varchar) as row_key, role, sha256 from final
