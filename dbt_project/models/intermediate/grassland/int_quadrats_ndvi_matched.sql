-- Each grassland quadrat with the NDVI of its parcel from the 16-day composite that contains the
-- clip date (composite_date <= survey_date < composite_date + 16 days), good-quality pixels only
-- (MODIS pixel reliability 0). Quadrats without such a composite are left out of the fits.
with quadrats as (
    select * from {{ ref('int_quadrats_biomass_estimated') }}
),

indices as (
    select * from {{ ref('stg_rs__vegetation_indices') }}
    where is_good_quality
),

final as (
    select
        quadrats.quadrat_id,
        quadrats.parcel_id,
        quadrats.grassland_type,
        quadrats.survey_date,
        quadrats.survey_year,
        quadrats.agb_t_per_ha,
        quadrats.cover_pct,
        indices.composite_date,
        indices.ndvi,
    from quadrats
    inner join indices
        on quadrats.parcel_id = indices.parcel_id
        and quadrats.survey_date >= indices.composite_date
        and quadrats.survey_date < indices.composite_date + interval 16 day
)

select * from final
