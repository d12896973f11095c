-- Stratified estimation of forest carbon density (strata = county x forest type x origin; pooled
-- city-wide by forest type x origin when a county stratum has too few plots).
with plots as (
    select * from {{ ref('int_plots_carbon_estimated') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

units as (
    select
        plots.*,
        parcels.county_code,
        parcels.forest_type,
        parcels.origin,
    from plots
    inner join parcels on plots.parcel_id = parcels.parcel_id
),

estimates as (
    {{ stratum_estimates(
        'units',
        ['county_code', 'forest_type', 'origin'],
        ['forest_type', 'origin'],
        'inventory_year',
        ['agb_t_per_ha', 'bgb_t_per_ha', 'volume_m3_per_ha', 'volume_table_m3_per_ha', 'carbon_t_per_ha',
         'carbon_volume_bcef_t_per_ha', 'bcef_s_u95_t_c_per_ha', 'root_shoot_u95_t_c_per_ha']
    ) }}
),

final as (
    select
        *,
        -- 95 % half-width with Student's t at the stratum's df (macro stratum_estimates)
        t_975 * carbon_t_per_ha_se as carbon_t_per_ha_ci95,
    from estimates
)

select * from final
