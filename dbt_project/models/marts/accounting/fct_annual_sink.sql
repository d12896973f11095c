-- Annual net sink per year, development zone, county and land class (t CO2e; removals positive).
-- method: stock_difference (forest, years between remeasured cycles), tier1_no_change (grassland
-- and wetland biomass in balance under IPCC Tier 1), non_co2_only (forest years without a stock
-- estimate: only fire CH4/N2O are known). One method per group, never two.
with forest_sink as (
    select * from {{ ref('int_forest_sink_stock_difference') }}
),

grassland as (
    select * from {{ ref('int_grassland_parcels_estimated') }}
),

wetland as (
    select * from {{ ref('int_wetland_methane_estimated') }}
),

fires as (
    select * from {{ ref('int_fire_emissions_estimated') }}
),

components as (
    select year, zone_id, county_code, land_class, parcel_id, area_mu,
        removals_co2e_t, 0.0 as emissions_co2e_t, 'stock_difference' as method,
    from forest_sink
    union all
    select survey_year, zone_id, county_code, land_class, parcel_id, area_mu,
        0.0, 0.0, 'tier1_no_change',
    from grassland
    union all
    select year, zone_id, county_code, land_class, parcel_id, wetland_area_mu,
        0.0, emissions_co2e_t, 'tier1_no_change',
    from wetland
),

methods as (
    select distinct year, land_class, method from components
),

fire_components as (
    select
        fires.year, fires.zone_id, fires.county_code, fires.land_class, cast(null as varchar) as parcel_id,
        0.0 as area_mu, 0.0 as removals_co2e_t, fires.emissions_co2e_t,
        coalesce(methods.method, case when fires.land_class = 'forest' then 'non_co2_only' else 'tier1_no_change' end) as method,
    from fires
    left join methods on fires.year = methods.year and fires.land_class = methods.land_class
),

all_components as (
    select * from components
    union all
    select * from fire_components
),

final as (
    select
        year,
        zone_id,
        county_code,
        land_class,
        method,
        {{ measure('sum(area_mu)', 4) }} as area_mu,
        {{ measure('sum(removals_co2e_t)') }} as removals_co2e_t,
        {{ measure('sum(emissions_co2e_t)') }} as emissions_co2e_t,
        {{ measure('sum(removals_co2e_t)') }} - {{ measure('sum(emissions_co2e_t)') }} as net_sink_co2e_t,
        count(distinct parcel_id) as n_parcels,
        'removal_positive' as sign_convention,
    from all_components
    group by year, zone_id, county_code, land_class, method
)

select * from final
