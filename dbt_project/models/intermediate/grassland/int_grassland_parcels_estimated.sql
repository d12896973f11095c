-- Each grassland parcel gets its county x type stratum estimate per survey year, or the pooled
-- city-wide type estimate when the county stratum has too few quadrats.
with parcels as (
    select * from {{ ref('stg_survey__parcels') }}
    where land_class = 'grassland'
),

strata as (
    select * from {{ ref('int_grassland_strata_estimated') }}
),

candidates as (
    select
        parcels.parcel_id,
        strata.*,
        row_number() over (
            partition by parcels.parcel_id, strata.survey_year
            order by case strata.stratum_level when 'fine' then 0 else 1 end
        ) as preference,
    from parcels
    inner join strata
        on parcels.grassland_type = strata.grassland_type
        and (strata.stratum_level = 'pooled' or parcels.county_code = strata.county_code)
    where strata.n_units >= {{ var('min_plots_per_stratum') }} or strata.stratum_level = 'pooled'
),

final as (
    select
        parcels.parcel_id,
        parcels.county_code,
        parcels.zone_id,
        parcels.land_class,
        parcels.grassland_type,
        parcels.area_mu,
        parcels.area_ha,
        parcels.source_sha256 as parcel_source_sha256,
        candidates.survey_year,
        candidates.stratum_id,
        candidates.stratum_level,
        candidates.n_units as n_quadrats,
        candidates.sampling_df,
        candidates.t_975,
        candidates.is_se_collapsed,
        candidates.agb_t_per_ha_mean,
        candidates.agb_t_per_ha_se,
        candidates.cover_pct_mean,
    from parcels
    inner join candidates on parcels.parcel_id = candidates.parcel_id and candidates.preference = 1
)

select * from final
