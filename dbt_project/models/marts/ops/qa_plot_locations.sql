-- Field sample locations against their parcels, for the gate: every forest plot (per cycle) and
-- grassland quadrat (per survey) with whether its coordinates fall inside the parcel it names
-- (point-in-polygon at ingestion; null when the parcels layer was not loaded then).
with trees as (
    select * from {{ ref('stg_survey__forest_trees') }}
),

quadrats as (
    select * from {{ ref('stg_survey__grassland_quadrats') }}
),

plots as (
    select
        'forest_plot' as sample_kind,
        plot_id as sample_id,
        inventory_year as survey_year,
        parcel_id,
        any_value(plot_lon) as lon,
        any_value(plot_lat) as lat,
        bool_and(is_in_parcel) as is_in_parcel,
        any_value(source_file) as source_file,
    from trees
    group by plot_id, inventory_year, parcel_id
),

quadrat_points as (
    select
        'grassland_quadrat' as sample_kind,
        quadrat_id as sample_id,
        survey_year,
        parcel_id,
        lon,
        lat,
        is_in_parcel,
        source_file,
    from quadrats
)

select * from plots
union all
select * from quadrat_points
