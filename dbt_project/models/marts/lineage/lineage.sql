-- Which received files fed each published mart row (issue #16 item 3). One row per mart row key,
-- file and role; `sinkwatch lineage <mart> --where ...` reads it. Two granularities:
--   row    the files whose rows entered that very row, followed through the accounting models'
--          own keys (parcels, strata, remeasurement periods, reports, surveys), see the roles
--          below; built for the accounting marts that aggregate parcels and reports
--   table  for every other mart: every file of every raw family upstream of it in dbt's graph
--          (computed from `graph` at build time), row_key null
-- Roles (row granularity):
--   parcel               the parcel's own row (stg_survey__parcels: the survey that won)
--   parcel_survey        a grassland survey row whose management class set a soil-carbon change
--   stratum_plots        tree tallies of every plot in a forest stratum-year whose estimate the
--                        row uses (stock strata; remeasured plots for gain-loss increments)
--   stratum_plot_parcel  the parcels of those plots (their county, type and origin place a
--                        plot in its stratum)
--   stratum_quadrats     clipped quadrats of a grassland stratum-year (carbon stock rows)
--   disturbance_report   the fire or pest report of a loss or of fire CH4/N2O
--   fire_event_hotspots  the FIRMS files of the detections of an unreported fire event whose
--                        pixel area a fire loss (or its CH4/N2O) uses (int_fire_loss_sources)
--   host_trees           tallies of the host species in the cycle whose mean tree carbon a
--                        dead-tree pest loss uses
--   wetland_survey       the wetland survey row of a methane emission (net sink or memo) or of a
--                        wetland soil-carbon change
--   weather              the station files behind a fire-danger rating
-- Seeds (factors, zones, targets) are code, not uploads: they are versioned with the dbt
-- project (the __code__ fingerprint of _sinkwatch.build_inputs), not listed here.
with manifest as (
    select * from {{ ref('ingest_manifest') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

plots as (
    select * from {{ ref('int_plots_carbon_estimated') }}
),

increments as (
    select * from {{ ref('int_plots_increment_estimated') }}
),

trees as (
    select * from {{ ref('int_trees_biomass_estimated') }}
),

quadrats as (
    select * from {{ ref('int_quadrats_biomass_estimated') }}
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

carbon_stock as (
    select * from {{ ref('fct_carbon_stock') }}
),

dim_parcels as (
    select * from {{ ref('dim_parcels') }}
),

fire_danger as (
    select * from {{ ref('fct_fire_danger_daily') }}
),

-- files of each plot-cycle (a plot's tallies of one cycle may come from several files)
plot_files as (
    select plot_id, parcel_id, inventory_year, unnest(source_sha256s) as sha256
    from plots
),

-- a plot's files of one cycle and its parcel's file, under the two stratum ids its estimate
-- may enter: fine county|type|origin and pooled type|origin (int_forest_strata_estimated)
plot_evidence as (
    select
        plot_files.plot_id,
        plot_files.inventory_year,
        concat_ws('|', parcels.county_code, parcels.forest_type, parcels.origin) as fine_stratum_id,
        concat_ws('|', parcels.forest_type, parcels.origin) as pooled_stratum_id,
        plot_files.sha256 as plot_sha256,
        parcels.source_sha256 as parcel_sha256,
    from plot_files
    inner join parcels on plot_files.parcel_id = parcels.parcel_id
),

plot_evidence_long as (
    select plot_id, inventory_year, fine_stratum_id as stratum_id, 'stratum_plots' as role,
        plot_sha256 as sha256,
    from plot_evidence
    union all
    select plot_id, inventory_year, pooled_stratum_id, 'stratum_plots', plot_sha256,
    from plot_evidence
    union all
    select plot_id, inventory_year, fine_stratum_id, 'stratum_plot_parcel', parcel_sha256,
    from plot_evidence
    union all
    select plot_id, inventory_year, pooled_stratum_id, 'stratum_plot_parcel', parcel_sha256,
    from plot_evidence
),

-- stock strata: every plot measured in the stratum-year
stock_strata_members as (
    select distinct stratum_id, inventory_year as year, role, sha256
    from plot_evidence_long
),

-- increment strata (gain-loss): the plots remeasured over the period, at both cycles
increment_strata_members as (
    select distinct
        plot_evidence_long.stratum_id,
        increments.year_t1,
        increments.year_t2,
        plot_evidence_long.role,
        plot_evidence_long.sha256,
    from increments
    inner join plot_evidence_long
        on increments.plot_id = plot_evidence_long.plot_id
        and plot_evidence_long.inventory_year in (increments.year_t1, increments.year_t2)
),

-- grassland strata: county|type and pooled type per survey year (int_grassland_strata_estimated)
quadrat_strata_members as (
    select distinct stratum_id, survey_year as year, 'stratum_quadrats' as role, source_sha256 as sha256
    from (
        select survey_year, source_sha256, concat_ws('|', county_code, grassland_type) as stratum_id
        from quadrats
        union all
        select survey_year, source_sha256, grassland_type from quadrats
    )
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

row_level as (
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
    union all
    -- carbon stock: the parcel and its stratum-year (forest plots or grassland quadrats)
    select distinct
        'fct_carbon_stock',
        to_json({'parcel_id': carbon_stock.parcel_id, 'inventory_year': carbon_stock.inventory_year}),
        members.role,
        members.sha256,
    from carbon_stock
    inner join (
        select stratum_id, year, role, sha256, 'forest' as land_class from stock_strata_members
        union all
        select stratum_id, year, role, sha256, 'grassland' from quadrat_strata_members
    ) as members
        on carbon_stock.stratum_id = members.stratum_id
        and carbon_stock.inventory_year = members.year
        and carbon_stock.land_class = members.land_class
    union all
    select distinct
        'fct_carbon_stock',
        to_json({'parcel_id': parcel_id, 'inventory_year': inventory_year}),
        'parcel',
        parcel_source_sha256,
    from carbon_stock
    union all
    -- parcels: the parcel and the stratum of its latest estimate
    select distinct
        'dim_parcels', to_json({'parcel_id': parcel_id}), 'parcel', parcel_source_sha256,
    from dim_parcels
    union all
    select distinct
        'dim_parcels',
        to_json({'parcel_id': dim_parcels.parcel_id}),
        members.role,
        members.sha256,
    from dim_parcels
    inner join (
        select stratum_id, year, role, sha256, 'forest' as land_class from stock_strata_members
        union all
        select stratum_id, year, role, sha256, 'grassland' from quadrat_strata_members
    ) as members
        on dim_parcels.latest_stratum_id = members.stratum_id
        and dim_parcels.latest_estimate_year = members.year
        and dim_parcels.land_class = members.land_class
    union all
    -- fire danger: the station files of the rating
    select distinct
        'fct_fire_danger_daily', to_json({'fire_danger_id': fire_danger_id}), 'weather', sha256,
    from (select fire_danger_id, unnest(string_split(source_sha256s, ',')) as sha256 from fire_danger)
),

-- every other mart: all files of the raw families upstream of it in dbt's graph
table_level as (
    {{ lineage_table_level(['fct_annual_sink', 'fct_losses_by_cause', 'fct_city_annual_sink',
                            'fct_zone_progress', 'fct_area_annual_sink', 'fct_carbon_stock', 'dim_parcels',
                            'fct_fire_danger_daily']) }}
),

unioned as (
    select mart, cast(row_key as varchar) as row_key, 'row' as granularity, role, sha256
    from row_level
    where sha256 is not null
    union all
    select mart, cast(null as varchar), 'table', 'upstream_family', sha256
    from table_level
),

final as (
    select
        unioned.mart,
        unioned.row_key,
        unioned.granularity,
        unioned.role,
        unioned.sha256 as source_sha256,
        manifest.family,
        manifest.file_name,
        manifest.received_at,
        manifest.archive_path,
    from unioned
    inner join manifest on unioned.sha256 = manifest.sha256
)

select * from final
