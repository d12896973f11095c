-- Time-series consistency of the forest sink (IPCC 2006 V1 Ch5, overlap technique): the years
-- that take their sink from the stock difference can also be computed by gain-loss from the same
-- remeasured plots (gross growth - mortality - harvest, int_forest_sink_gain_loss). Per year, over
-- the parcels that have both, the city forest sink by each method and its 95 % sampling half-width
-- (IPCC Approach 1 over the stratum estimates: terms of one key summed, keys in quadrature, macro
-- approach1_u95). Factors (CF, BCEF_S, R) are left out: both methods use the same ones, so they do
-- not separate them. Reported fire/pest losses that no plot recorded are deducted alike from both,
-- so they are left out too.
-- ratio = |gain-loss - stock difference| / min(half-widths): <= 1 means each estimate lies inside
-- the other's interval (gated in qa_mart_reconciliation, check_kind method_overlap). A gain-loss
-- year that omitted mortality or harvest (the 2021 defect: gross increment only) fails it.
with forest_sink as (
    select * from {{ ref('int_forest_sink_annual') }}
),

gain_loss as (
    select * from {{ ref('int_forest_sink_gain_loss') }}
    where is_stock_difference_year
),

stock_difference as (
    select * from forest_sink
    where method = 'stock_difference'
),

both_methods as (
    select
        stock_difference.parcel_id,
        stock_difference.year,
        stock_difference.removals_co2e_t as stock_difference_co2e_t,
        gain_loss.removals_co2e_t - gain_loss.mortality_co2e_t - gain_loss.harvest_co2e_t as gain_loss_co2e_t,
        stock_difference.sampling_key_1,
        stock_difference.sampling_u95_1_co2e_t,
        stock_difference.sampling_key_2,
        stock_difference.sampling_u95_2_co2e_t,
        gain_loss.stratum_id,
        gain_loss.increment_year_t1 || '-' || gain_loss.increment_year_t2 as period,
        gain_loss.removals_sampling_u95_co2e_t,
        gain_loss.mortality_sampling_u95_co2e_t,
        gain_loss.harvest_sampling_u95_co2e_t,
    from stock_difference
    inner join gain_loss
        on stock_difference.parcel_id = gain_loss.parcel_id and stock_difference.year = gain_loss.year
),

terms as (
    select year, 'stock_difference' as method, 'sampling' as uncertainty_kind,
        sampling_key_1 as uncertainty_key, sampling_u95_1_co2e_t as u95_co2e_t,
    from both_methods
    union all
    select year, 'stock_difference', 'sampling', sampling_key_2, sampling_u95_2_co2e_t,
    from both_methods
    where sampling_key_2 is not null
    union all
    select year, 'gain_loss', 'sampling', 'forest_increment|' || stratum_id || '|' || period,
        removals_sampling_u95_co2e_t,
    from both_methods
    union all
    select year, 'gain_loss', 'sampling', 'forest_mortality|' || stratum_id || '|' || period,
        -mortality_sampling_u95_co2e_t,
    from both_methods
    union all
    select year, 'gain_loss', 'sampling', 'forest_harvest|' || stratum_id || '|' || period,
        -harvest_sampling_u95_co2e_t,
    from both_methods
),

uncertainty as (
    {{ approach1_u95('terms', ['year', 'method']) }}
),

totals as (
    select
        year,
        count(*) as n_parcels,
        sum(stock_difference_co2e_t order by parcel_id) as stock_difference_co2e_t,
        sum(gain_loss_co2e_t order by parcel_id) as gain_loss_co2e_t,
    from both_methods
    group by year
),

final as (
    select
        totals.year,
        totals.n_parcels,
        {{ measure('totals.stock_difference_co2e_t') }} as stock_difference_co2e_t,
        {{ measure('totals.gain_loss_co2e_t') }} as gain_loss_co2e_t,
        round(coalesce(sd.u95_co2e_t, 0), 6) as stock_difference_u95_co2e_t,
        round(coalesce(gl.u95_co2e_t, 0), 6) as gain_loss_u95_co2e_t,
        -- without any sampling error (one plot per stratum...) only rounding may separate them
        round(coalesce(
            abs(totals.gain_loss_co2e_t - totals.stock_difference_co2e_t)
            / nullif(least(coalesce(sd.u95_co2e_t, 0), coalesce(gl.u95_co2e_t, 0)), 0),
            case when abs(totals.gain_loss_co2e_t - totals.stock_difference_co2e_t) <= 0.001 * totals.n_parcels
                then 0.0 else 1e6 end
        ), 6) as ratio,
    from totals
    left join uncertainty as sd on totals.year = sd.year and sd.method = 'stock_difference'
    left join uncertainty as gl on totals.year = gl.year and gl.method = 'gain_loss'
)

select * from final
