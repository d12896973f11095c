-- Peak-season NDVI per parcel and year: the maximum of the good-quality (MODIS pixel reliability
-- 0) July-August composites, the input of the wall-to-wall grassland estimates
-- (fct_grassland_remote_sensing). About one row per parcel and year instead of 23 composites.
-- Incremental by composite_year (macro rebuilt_filter): a nightly run recomputes only the years
-- whose composites it (re)built; full refresh recomputes all.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='composite_year',
    on_schema_change='fail',
) }}

with indices as (
    select * from {{ ref('stg_rs__vegetation_indices') }}
    where {{ rebuilt_filter('composite_year', ref('stg_rs__vegetation_indices')) }}
        and is_good_quality
        and month(composite_date) in (7, 8)
),

final as (
    select
        parcel_id,
        composite_year,
        max(ndvi) as peak_ndvi,
        count(*) as n_composites,
        max(composite_date) as newest_composite_date,
    from indices
    group by parcel_id, composite_year
)

select * from final
