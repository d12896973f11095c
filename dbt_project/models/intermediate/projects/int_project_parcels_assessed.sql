-- Every project parcel with what the applicability conditions look at: its land class, forest
-- type, origin and area (parcels layer), and the first inventory year in which our plots
-- measured it as forest (fct_carbon_stock): an afforestation parcel measured as forest before the
-- project started was not non-forest land at the start (CCER-14-001-V01 §2 a).
with project_parcels as (
    select * from {{ ref('stg_projects__parcels') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

stock as (
    select parcel_id, min(inventory_year) as first_forest_inventory_year
    from {{ ref('fct_carbon_stock') }}
    where land_class = 'forest'
    group by parcel_id
),

plots as (
    select parcel_id, count(distinct plot_id) as n_plots
    from {{ ref('stg_survey__forest_trees') }}
    group by parcel_id
),

final as (
    select
        project_parcels.project_id,
        project_parcels.parcel_id,
        project_parcels.parcel_source,
        parcels.parcel_id is not null as is_in_parcels_layer,
        parcels.county_code,
        parcels.zone_id,
        parcels.land_class,
        parcels.forest_type,
        parcels.origin,
        parcels.dominant_species,
        parcels.area_mu,
        parcels.area_ha,
        parcels.area_ha * 10000 as area_m2,
        parcels.centroid_lon,
        parcels.centroid_lat,
        stock.first_forest_inventory_year,
        coalesce(plots.n_plots, 0) as n_plots_inside,
    from project_parcels
    left join parcels on project_parcels.parcel_id = parcels.parcel_id
    left join stock on project_parcels.parcel_id = stock.parcel_id
    left join plots on project_parcels.parcel_id = plots.parcel_id
)

select * from final
