-- The plan's comprehensive grassland vegetation cover (草原综合植被盖度, 杨智 & 徐斌 2019):
-- CVCG = sum_k (C_k x A_k) / sum_k A_k, k = grassland type, C_k = mean peak-season quadrat cover of
-- type k (pooled city-wide stratum), A_k = surveyed parcel area of type k. Plot-based; remote sensing
-- (int_grassland_fvc_estimated) is a spatial cross-check, not the reported indicator.
with strata as (
    select * from {{ ref('int_grassland_strata_estimated') }}
    where stratum_level = 'pooled'
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
    where land_class = 'grassland'
),

type_area as (
    select grassland_type, sum(area_mu) as area_mu
    from parcels
    group by grassland_type
),

final as (
    select
        strata.survey_year as year,
        sum(strata.cover_pct_mean * type_area.area_mu) / sum(type_area.area_mu) as grassland_cvc_pct,
        count(*) as n_grassland_types,
        sum(type_area.area_mu) as grassland_area_mu,
    from strata
    inner join type_area on strata.grassland_type = type_area.grassland_type
    group by strata.survey_year
)

select * from final
