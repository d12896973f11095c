-- The files behind each stratum-year estimate, for the lineage mart (issue #16 item 3): the tree
-- tallies of every plot of a forest stratum-year and those plots' parcels (stock strata, kind
-- 'stock'), the same for the plots remeasured over an increment period (gain-loss strata, kind
-- 'increment', years year_t1-year_t2), and the clipped quadrats of a grassland stratum-year
-- (kind 'stock', land_class grassland). A table of its own so that a nightly build whose new
-- files do not touch plots, quadrats or parcels does not recompute it (issue #17).
with parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

plots as (
    select * from {{ ref('int_plots_carbon_estimated') }}
),

increments as (
    select * from {{ ref('int_plots_increment_estimated') }}
),

quadrats as (
    select * from {{ ref('int_quadrats_biomass_estimated') }}
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

final as (
    select
        'stock' as member_kind, 'forest' as land_class, stratum_id, year,
        cast(null as integer) as year_t1, cast(null as integer) as year_t2, role, sha256,
    from stock_strata_members
    union all
    select 'stock', 'grassland', stratum_id, year, null, null, role, sha256,
    from quadrat_strata_members
    union all
    select 'increment', 'forest', stratum_id, null, year_t1, year_t2, role, sha256,
    from increment_strata_members
)

select * from final
