-- fct_carbon_stock in long form: one row per parcel, inventory year and biomass pool
-- (above_ground, below_ground). Carbon is split by the pools' dry-mass shares, which is exact
-- where one carbon fraction applies to the whole stratum (grassland; single-group forest strata)
-- and a close approximation in mixed conifer/broadleaf strata.
with stock as (
    select * from {{ ref('fct_carbon_stock') }}
),

pools as (
    select *, 'above_ground' as pool, agb_t_dm as pool_biomass_t_dm from stock
    union all
    select *, 'below_ground', bgb_t_dm from stock
),

final as (
    select
        parcel_id,
        inventory_year,
        county_code,
        zone_id,
        land_class,
        pool,
        area_mu,
        method,
        pool_biomass_t_dm as biomass_t_dm,
        {{ measure('carbon_t * pool_biomass_t_dm / nullif(biomass_t_dm, 0)') }} as carbon_t,
        {{ measure('co2e_t * pool_biomass_t_dm / nullif(biomass_t_dm, 0)') }} as co2e_t,
    from pools
)

select * from final
