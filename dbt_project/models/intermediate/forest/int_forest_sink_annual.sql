-- One row per tree-forest parcel and year with the single method that gives its sink:
-- stock_difference where a remeasurement interval covers the year, gain_loss otherwise.
-- Tested: one method per parcel-year and per stratum-year (never both).
with stock_difference as (
    select * from {{ ref('int_forest_sink_stock_difference') }}
),

gain_loss as (
    select * from {{ ref('int_forest_sink_gain_loss') }}
),

parcels as (
    select distinct parcel_id, forest_type, origin, cf_stratum, area_ha
    from {{ ref('int_forest_parcels_estimated') }}
),

factors as (
    select * from {{ ref('int_factors_uncertainty') }}
),

unioned as (
    select
        stock_difference.parcel_id,
        stock_difference.year,
        stock_difference.county_code,
        stock_difference.zone_id,
        stock_difference.land_class,
        stock_difference.area_mu,
        'stock_difference' as method,
        stock_difference.stratum_id_t2 as stratum_id,
        stock_difference.removals_co2e_t,
        case
            when stock_difference.is_sampling_paired
                then 'forest_change|' || stock_difference.stratum_id_t2 || '|' || stock_difference.year_t1 || '-' || stock_difference.year_t2
            else 'forest_stock|' || stock_difference.stratum_id_t1 || '|' || stock_difference.year_t1
        end as sampling_key_1,
        case
            when stock_difference.is_sampling_paired then stock_difference.sampling_u95_t1_co2e_t
            else -stock_difference.sampling_u95_t1_co2e_t
        end as sampling_u95_1_co2e_t,
        case when not stock_difference.is_sampling_paired
            then 'forest_stock|' || stock_difference.stratum_id_t2 || '|' || stock_difference.year_t2
        end as sampling_key_2,
        stock_difference.sampling_u95_t2_co2e_t as sampling_u95_2_co2e_t,
    from stock_difference
    union all
    select
        parcel_id,
        year,
        county_code,
        zone_id,
        land_class,
        area_mu,
        'gain_loss',
        stratum_id,
        removals_co2e_t,
        'forest_increment|' || stratum_id || '|' || increment_year_t1 || '-' || increment_year_t2,
        removals_sampling_u95_co2e_t,
        null,
        0.0,
    from gain_loss
),

final as (
    select
        unioned.parcel_id,
        unioned.year,
        unioned.county_code,
        unioned.zone_id,
        unioned.land_class,
        unioned.area_mu,
        unioned.method,
        unioned.stratum_id,
        unioned.removals_co2e_t,
        unioned.sampling_key_1,
        unioned.sampling_u95_1_co2e_t,
        unioned.sampling_key_2,
        unioned.sampling_u95_2_co2e_t,
        sqrt(unioned.sampling_u95_1_co2e_t ^ 2 + unioned.sampling_u95_2_co2e_t ^ 2) as removals_sampling_u95_co2e_t,
        parcels.cf_stratum,
        coalesce(cf.u95_pct, 0) as cf_u95_pct,
        -- IPCC Approach 1, Eq 3.1: sampling and carbon-fraction uncertainty of the parcel's removals
        sqrt(
            unioned.sampling_u95_1_co2e_t ^ 2 + unioned.sampling_u95_2_co2e_t ^ 2
            + (unioned.removals_co2e_t * coalesce(cf.u95_pct, 0) / 100.0) ^ 2
        ) as removals_u95_co2e_t,
    from unioned
    left join parcels on unioned.parcel_id = parcels.parcel_id
    left join factors as cf on cf.parameter = 'carbon_fraction_biomass' and cf.stratum = parcels.cf_stratum
)

select * from final
