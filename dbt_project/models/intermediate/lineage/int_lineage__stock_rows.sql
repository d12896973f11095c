-- Row-level lineage of the carbon stock and the parcel register (issue #16 item 3): each
-- fct_carbon_stock row (parcel, inventory year) and each dim_parcels row gets the parcel's own
-- file and the files of the stratum-year whose estimate it uses (int_lineage__stratum_files).
-- Separate from the sink rows (int_lineage__sink_rows) because it is most of the lineage mart
-- (1.8 M of 1.8 M rows at city scale) and changes only with parcels, plots and quadrats: a
-- nightly build of new indices, hotspots or pest reports does not select it (issue #17).
with carbon_stock as (
    select * from {{ ref('fct_carbon_stock') }}
),

dim_parcels as (
    select * from {{ ref('dim_parcels') }}
),

stratum_files as (
    select * from {{ ref('int_lineage__stratum_files') }}
    where member_kind = 'stock'
),

final as (
    -- carbon stock: the parcel and its stratum-year (forest plots or grassland quadrats)
    select distinct
        'fct_carbon_stock' as mart,
        to_json({'parcel_id': carbon_stock.parcel_id, 'inventory_year': carbon_stock.inventory_year}) as row_key,
        stratum_files.role,
        stratum_files.sha256,
    from carbon_stock
    inner join stratum_files
        on carbon_stock.stratum_id = stratum_files.stratum_id
        and carbon_stock.inventory_year = stratum_files.year
        and carbon_stock.land_class = stratum_files.land_class
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
        stratum_files.role,
        stratum_files.sha256,
    from dim_parcels
    inner join stratum_files
        on dim_parcels.latest_stratum_id = stratum_files.stratum_id
        and dim_parcels.latest_estimate_year = stratum_files.year
        and dim_parcels.land_class = stratum_files.land_class
)

select mart, cast(row_key as varchar) as row_key, role, sha256 from final
