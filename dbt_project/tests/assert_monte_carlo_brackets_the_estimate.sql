-- Approach 2 against Approach 1 on the real build (fct_city_sink_uncertainty): the percentiles are
-- ordered, the Monte Carlo median lies inside the Approach 1 interval, and the two 95 % intervals
-- have the same order of magnitude (Monte Carlo half-width within x0.5-x2.5 of Approach 1). They
-- differ through skewed PDFs (lognormal for large uncertainties, triangular ranges), products of
-- inputs, and Student-t sampling errors: Approach 1 adds each stratum's t x SE in quadrature, while
-- the sum of heavy-tailed t deviates (df 1 for a stratum of two plots) is wider than that. Rows
-- without uncertainty (half-width 0) or without a Monte Carlo run are skipped.
with mc as (
    select * from {{ ref('fct_city_sink_uncertainty') }}
    where mc_draws is not null and a1_u95_co2e_t > 0
)

select *
from mc
where not (mc_p2_5_co2e_t <= mc_p50_co2e_t and mc_p50_co2e_t <= mc_p97_5_co2e_t)
    or mc_p50_co2e_t not between a1_ci95_low_co2e_t and a1_ci95_high_co2e_t
    or mc_half_width_co2e_t not between 0.5 * a1_u95_co2e_t and 2.5 * a1_u95_co2e_t
