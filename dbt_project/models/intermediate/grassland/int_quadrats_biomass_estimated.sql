-- Quadrat clipping -> dry above-ground biomass: g/m2 = dry mass / quadrat area; t/ha = g/m2 x 0.01.
with quadrats as (
    select * from {{ ref('stg_survey__grassland_quadrats') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

final as (
    select
        quadrats.quadrat_id,
        quadrats.parcel_id,
        parcels.county_code,
        quadrats.grassland_type,
        quadrats.survey_date,
        quadrats.survey_year,
        quadrats.cover_pct,
        quadrats.dry_mass_g / quadrats.quadrat_area_m2 as agb_g_per_m2,
        quadrats.dry_mass_g / quadrats.quadrat_area_m2 * 0.01 as agb_t_per_ha,
        quadrats.source_sha256,
    from quadrats
    inner join parcels on quadrats.parcel_id = parcels.parcel_id
)

select * from final
