-- Grassland above-ground biomass and cover per stratum (county x grassland type) and year, with a
-- city-wide pooled estimate per grassland type.
with quadrats as (
    select * from {{ ref('int_quadrats_biomass_estimated') }}
),

estimates as (
    {{ stratum_estimates(
        'quadrats',
        ['county_code', 'grassland_type'],
        ['grassland_type'],
        'survey_year',
        ['agb_t_per_ha', 'cover_pct']
    ) }}
)

select * from estimates
