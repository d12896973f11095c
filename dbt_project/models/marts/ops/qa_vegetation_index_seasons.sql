-- Share of snow- or cloud-flagged composites per parcel and season, and the newest composite,
-- for the gate (a season full of cloud gives no usable NDVI).
-- Incremental by composite_year: a nightly run recomputes only the years whose composites it
-- (re)built in stg_rs__vegetation_indices (macro rebuilt_filter); full refresh recomputes all.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='composite_year',
    on_schema_change='fail',
) }}

with vi as (
    select * from {{ ref('stg_rs__vegetation_indices') }}
    where {{ rebuilt_filter('composite_year', ref('stg_rs__vegetation_indices')) }}
),

seasons as (
    select
        parcel_id,
        composite_year,
        case
            when month(composite_date) in (3, 4, 5) then 'spring'
            when month(composite_date) in (6, 7, 8) then 'summer'
            when month(composite_date) in (9, 10, 11) then 'autumn'
            else 'winter'
        end as season,
        pixel_reliability,
        composite_date,
    from vi
),

final as (
    select
        parcel_id,
        composite_year,
        season,
        count(*) as n_composites,
        round(avg(case when pixel_reliability in (2, 3) then 1.0 else 0.0 end), 4) as snow_cloud_share,
        max(composite_date) as newest_composite_date,
    from seasons
    group by parcel_id, composite_year, season
)

select * from final
