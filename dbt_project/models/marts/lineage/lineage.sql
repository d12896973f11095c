{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ lineage_delete_rebuilt() }}",
) }}

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
-- Built incrementally (issue #17): the row-level parts are tables of their own
-- (int_lineage__stock_rows, int_lineage__sink_rows, from int_lineage__stratum_files); an
-- incremental build deletes and re-reads only the parts dbt rebuilt in this invocation
-- (macros/lineage.sql), so a night of new indices or hotspots does not rewrite the 1.8 M carbon
-- stock rows. Fire danger and table granularity are recomputed on every build.
-- Seeds (factors, zones, targets) are code, not uploads: they are versioned with the dbt
-- project (the __code__ fingerprint of _sinkwatch.build_inputs), not listed here.
{%- set rebuilt = lineage_rebuilt_parts() %}
with manifest as (
    select * from {{ ref('ingest_manifest') }}
),

fire_danger as (
    select * from {{ ref('fct_fire_danger_daily') }}
),

-- the parts dbt rebuilt in this invocation (all of them in a full build); a `ref` to every
-- part keeps them upstream of this model in dbt's graph whether they are read or not
parts as (
    {%- for part in lineage_parts() %}
    select mart, row_key, role, sha256 from {{ ref(part) }}
    {%- if part not in rebuilt %} where false{% endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

row_level as (
    select * from parts
    union all
    -- fire danger: the station files of the rating
    select distinct
        'fct_fire_danger_daily', cast(to_json({'fire_danger_id': fire_danger_id}) as varchar), 'weather', sha256,
    from (select fire_danger_id, unnest(string_split(source_sha256s, ',')) as sha256 from fire_danger)
),

-- every other mart: all files of the raw families upstream of it in dbt's graph
table_level as (
    {{ lineage_table_level(['fct_annual_sink', 'fct_losses_by_cause', 'fct_city_annual_sink',
                            'fct_zone_progress', 'fct_area_annual_sink', 'fct_carbon_stock', 'dim_parcels',
                            'fct_fire_danger_daily']) }}
),

unioned as (
    select mart, row_key, 'row' as granularity, role, sha256
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
