-- IPCC Approach 2 re-evaluates the net sink per draw from int_sink_mc_terms (the sink as a sum of
-- products of its inputs). At the estimate's inputs that sum must be the published net sink: a
-- component missing from the terms, or a term built differently from its model, shows here. The
-- tolerance covers the per-parcel rounding of the stock marts (3 decimals) only.
select
    year,
    land_class,
    net_sink_co2e_t,
    mc_model_at_estimate_co2e_t,
    mc_model_at_estimate_co2e_t - net_sink_co2e_t as difference_co2e_t,
from {{ ref('fct_city_sink_uncertainty') }}
where abs(mc_model_at_estimate_co2e_t - net_sink_co2e_t) > 0.05 + 1e-6 * abs(net_sink_co2e_t)
    or mc_model_at_estimate_co2e_t is null
