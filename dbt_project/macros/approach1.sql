{#-
  IPCC 2006 Vol 1 Ch 3 Approach 1 over the terms of int_sink_uncertainty_terms, grouped by
  `group_cols`: terms sharing a key (one stratum estimate, one factor) are summed first (fully
  correlated), the keys are then added in quadrature (Eq 3.2). Returns the 95 % half-width in
  t CO2e in total, from sampling only and from factors only.
-#}
{% macro approach1_u95(terms, group_cols) -%}
    select
        {{ group_cols | join(', ') }},
        sqrt(sum(key_u95 * key_u95)) as u95_co2e_t,
        coalesce(sqrt(sum(key_u95 * key_u95) filter (where uncertainty_kind = 'sampling')), 0) as sampling_u95_co2e_t,
        coalesce(sqrt(sum(key_u95 * key_u95) filter (where uncertainty_kind = 'factor')), 0) as factor_u95_co2e_t,
    from (
        select {{ group_cols | join(', ') }}, uncertainty_kind, uncertainty_key, sum(u95_co2e_t) as key_u95
        from {{ terms }}
        group by {{ group_cols | join(', ') }}, uncertainty_kind, uncertainty_key
    )
    group by {{ group_cols | join(', ') }}
{%- endmacro %}
