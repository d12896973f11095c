-- Each project's parcels with their polygon (WGS84 WKT) for the 碳汇交易 page's map, and what the
-- applicability checks looked at.
with assessed as (
    select * from {{ ref('int_project_parcels_assessed') }}
),

projects as (
    select * from {{ ref('dim_projects') }}
),

geometry as (
    select parcel_id, geometry_wkt from {{ ref('stg_survey__parcels') }}
),

final as (
    select
        assessed.project_id,
        assessed.parcel_id,
        projects.project_name,
        projects.scheme_code,
        projects.is_eligible,
        assessed.parcel_source,
        assessed.county_code,
        assessed.land_class,
        assessed.forest_type,
        assessed.origin,
        assessed.dominant_species,
        {{ measure('assessed.area_mu', 4) }} as area_mu,
        assessed.first_forest_inventory_year,
        assessed.n_plots_inside,
        assessed.centroid_lon,
        assessed.centroid_lat,
        geometry.geometry_wkt,
    from assessed
    inner join projects on assessed.project_id = projects.project_id
    left join geometry on assessed.parcel_id = geometry.parcel_id
)

select * from final
