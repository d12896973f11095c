-- Each tree-forest parcel gets the estimate of its county stratum for every inventory cycle, or
-- the pooled city-wide stratum when its county stratum has fewer than min_plots_per_stratum plots.
-- Shrub forest (灌木林) is not in the tree-plot design and gets no estimate here.
with parcels as (
    select * from {{ ref('stg_survey__parcels') }}
    where land_class = 'forest' and forest_type in ('conifer', 'broadleaf', 'mixed')
),

strata as (
    select * from {{ ref('int_forest_strata_estimated') }}
),

forest_types as (
    select * from {{ ref('seed_forest_type_map') }}
),

candidates as (
    select
        parcels.parcel_id,
        strata.*,
        row_number() over (
            partition by parcels.parcel_id, strata.inventory_year
            order by case strata.stratum_level when 'fine' then 0 else 1 end
        ) as preference,
    from parcels
    inner join strata
        on parcels.forest_type = strata.forest_type
        and parcels.origin = strata.origin
        and (strata.stratum_level = 'pooled' or parcels.county_code = strata.county_code)
    where strata.n_units >= {{ var('min_plots_per_stratum') }} or strata.stratum_level = 'pooled'
),

final as (
    select
        parcels.parcel_id,
        parcels.county_code,
        parcels.zone_id,
        parcels.land_class,
        parcels.forest_type,
        parcels.origin,
        forest_types.cf_stratum,
        parcels.area_mu,
        parcels.area_ha,
        parcels.source_sha256 as parcel_source_sha256,
        candidates.inventory_year,
        candidates.stratum_id,
        candidates.stratum_level,
        candidates.n_units as n_plots,
        candidates.sampling_df,
        candidates.t_975,
        candidates.is_se_collapsed,
        candidates.agb_t_per_ha_mean,
        candidates.agb_t_per_ha_se,
        candidates.bgb_t_per_ha_mean,
        candidates.volume_m3_per_ha_mean,
        candidates.volume_table_m3_per_ha_mean,
        candidates.carbon_t_per_ha_mean,
        candidates.carbon_t_per_ha_se,
        candidates.carbon_volume_bcef_t_per_ha_mean,
        candidates.bcef_s_u95_t_c_per_ha_mean,
        candidates.root_shoot_u95_t_c_per_ha_mean,
    from parcels
    inner join candidates on parcels.parcel_id = candidates.parcel_id and candidates.preference = 1
    left join forest_types on parcels.forest_type = forest_types.forest_type
)

select * from final
