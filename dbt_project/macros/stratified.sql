{#-
  Design-based stratum estimates (mean, standard error, 95 % CI half-width, n) of per-plot
  densities, at two levels: the fine stratum (`fine_keys`) and a pooled stratum (`pooled_keys`)
  used when the fine stratum has fewer than var('min_plots_per_stratum') plots.
  `units` is a relation with one row per plot (or quadrat) and `year_col`.
-#}
{% macro stratum_estimates(units, fine_keys, pooled_keys, year_col, value_cols) -%}
{%- for level, keys in [('fine', fine_keys), ('pooled', pooled_keys)] %}
    select
        '{{ level }}' as stratum_level,
        concat_ws('|', {{ keys | join(', ') }}) as stratum_id,
        {% for k in fine_keys %}{% if k in keys %}{{ k }}{% else %}null{% endif %} as {{ k }},
        {% endfor -%}
        {{ year_col }},
        count(*) as n_units,
        {%- for v in value_cols %}
        avg({{ v }}) as {{ v }}_mean,
        coalesce(stddev_samp({{ v }}) / sqrt(count(*)), 0) as {{ v }}_se,
        {%- endfor %}
    from {{ units }}
    group by {{ keys | join(', ') }}, {{ year_col }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}
