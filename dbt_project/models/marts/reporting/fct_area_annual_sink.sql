-- Annual net sink per county and per development zone (the annual report's area tables): the
-- fct_annual_sink rows added up, with the IPCC Approach 1 interval of the area computed over the
-- same uncertainty terms (macro approach1_u95: terms sharing a stratum or factor summed first),
-- never by adding the rows' own intervals. land_class 'all' is the area's total.
with sink as (
    select * from {{ ref('fct_annual_sink') }}
),

terms as (
    select * from {{ ref('int_sink_uncertainty_terms') }}
),

counties as (
    select * from {{ ref('dim_counties') }}
),

zones as (
    select * from {{ ref('dim_zones') }}
),

sink_areas as (
    select 'county' as area_kind, county_code as area_id, land_class, sink.* exclude (land_class)
    from sink
    where county_code is not null
    union all
    select 'county', county_code, 'all', sink.* exclude (land_class)
    from sink
    where county_code is not null
    union all
    select 'zone', zone_id, 'all', sink.* exclude (land_class)
    from sink
    where zone_id is not null
),

term_areas as (
    select 'county' as area_kind, county_code as area_id, land_class, terms.* exclude (land_class)
    from terms
    where county_code is not null
    union all
    select 'county', county_code, 'all', terms.* exclude (land_class)
    from terms
    where county_code is not null
    union all
    select 'zone', zone_id, 'all', terms.* exclude (land_class)
    from terms
    where zone_id is not null
),

grouped as (
    select
        area_kind,
        area_id,
        year,
        land_class,
        string_agg(distinct method, ', ' order by method) as methods,
        sum(area_mu order by zone_id, county_code, land_class) as area_mu,
        sum(removals_co2e_t order by zone_id, county_code, land_class) as removals_co2e_t,
        sum(emissions_co2e_t order by zone_id, county_code, land_class) as emissions_co2e_t,
        sum(net_sink_co2e_t order by zone_id, county_code, land_class) as net_sink_co2e_t,
        sum(coalesce(memo_unmanaged_ch4_co2e_t, 0) order by zone_id, county_code, land_class)
            as memo_unmanaged_ch4_co2e_t,
        count(*) as n_sink_rows,
    from sink_areas
    group by area_kind, area_id, year, land_class
),

uncertainty as (
    {{ approach1_u95('term_areas', ['area_kind', 'area_id', 'year', 'land_class']) }}
),

final as (
    select
        grouped.area_kind,
        grouped.area_id,
        coalesce(counties.county_name_zh, zones.zone_name_zh) as area_name_zh,
        grouped.year,
        grouped.land_class,
        grouped.methods,
        {{ measure('grouped.area_mu', 4) }} as area_mu,
        {{ measure('grouped.removals_co2e_t') }} as removals_co2e_t,
        {{ measure('grouped.emissions_co2e_t') }} as emissions_co2e_t,
        {{ measure('grouped.net_sink_co2e_t') }} as net_sink_co2e_t,
        -- the memo item and the all-wetlands sensitivity, as in fct_city_annual_sink
        {{ measure('grouped.memo_unmanaged_ch4_co2e_t') }} as memo_unmanaged_ch4_co2e_t,
        {{ measure('grouped.net_sink_co2e_t') }}
            - {{ measure('grouped.memo_unmanaged_ch4_co2e_t') }} as net_sink_all_wetlands_co2e_t,
        {{ measure('coalesce(uncertainty.u95_co2e_t, 0)') }} as net_sink_u95_co2e_t,
        {{ measure('grouped.net_sink_co2e_t - coalesce(uncertainty.u95_co2e_t, 0)') }} as net_sink_ci95_low_co2e_t,
        {{ measure('grouped.net_sink_co2e_t + coalesce(uncertainty.u95_co2e_t, 0)') }} as net_sink_ci95_high_co2e_t,
        grouped.n_sink_rows,
        'removal_positive' as sign_convention,
    from grouped
    left join uncertainty
        on grouped.area_kind = uncertainty.area_kind
        and grouped.area_id = uncertainty.area_id
        and grouped.year = uncertainty.year
        and grouped.land_class = uncertainty.land_class
    left join counties on grouped.area_kind = 'county' and grouped.area_id = counties.county_code
    left join zones on grouped.area_kind = 'zone' and grouped.area_id = zones.zone_id
)

select * from final
