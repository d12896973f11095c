{#-
  Design-based stratum estimates of per-plot (or per-quadrat) densities, at two levels: the fine
  stratum (`fine_keys`) and a pooled stratum (`pooled_keys`) that consumers use when the fine
  stratum has fewer than var('min_plots_per_stratum') plots. `units` is a relation with one row per
  plot and `year_col` (one column, or two as 'year_t1, year_t2').

  Per stratum and year: n_units, the mean and the standard error (SE = s / sqrt(n)) of each of
  `value_cols` (not rounded here: a rounded SE could flip its last digit where the last bits vary,
  which t x SE x area would magnify; the means and SDs aggregate in value order, so DuckDB's
  parallel partial aggregates cannot change their last bits between identical builds), and
  for 95 % intervals Student's t with the degrees of freedom of the SE (sampling_df = n - 1): t_975 from seed_t_quantiles, the largest tabulated df not above
  sampling_df (t falls with df, so a df between two rows takes the larger t: conservative).
  1.96 is the limit for infinite df; with 2 plots (df 1) the 95 % half-width is 12.7 SE.

  A stratum with a single unit has no SE of its own (s is undefined; it is never taken as 0). Its
  mean stays its own, and its SE is a collapsed-strata one (Cochran 1977, Sampling Techniques,
  3rd ed.: for the variance, treat it as part of a larger stratum; the estimator is biased
  upwards): the standard deviation of all units of the year
  (every stratum together) / sqrt(1), with that group's df; is_se_collapsed flags it. It is
  conservative: the collapsed SD also holds the variation between strata. If the whole year has
  one unit, SE, df and t are null.
-#}
{% macro stratum_estimates(units, fine_keys, pooled_keys, year_col, value_cols) -%}
{%- if (var('min_plots_per_stratum') | int) < 2 -%}
    {{ exceptions.raise_compiler_error("var min_plots_per_stratum must be at least 2: one plot has no sampling error") }}
{%- endif -%}
{%- set year_cols = year_col.split(',') | map('trim') | list -%}
    with by_stratum as (
        {%- for level, keys in [('fine', fine_keys), ('pooled', pooled_keys)] %}
        select
            '{{ level }}' as stratum_level,
            concat_ws('|', {{ keys | join(', ') }}) as stratum_id,
            {% for k in fine_keys %}{% if k in keys %}{{ k }}{% else %}null{% endif %} as {{ k }},
            {% endfor -%}
            {{ year_cols | join(', ') }},
            count(*) as n_units,
            {%- for v in value_cols %}
            avg({{ v }} order by {{ v }}) as {{ v }}_mean,
            stddev_samp({{ v }} order by {{ v }}) / sqrt(count(*)) as {{ v }}_se,
            {%- endfor %}
        from {{ units }}
        group by {{ keys | join(', ') }}, {{ year_cols | join(', ') }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ),

    -- the collapsed group of a one-unit stratum: every unit of the year
    collapsed as (
        select
            {{ year_cols | join(', ') }},
            count(*) as n_units,
            {%- for v in value_cols %}
            stddev_samp({{ v }} order by {{ v }}) as {{ v }}_sd,
            {%- endfor %}
        from {{ units }}
        group by {{ year_cols | join(', ') }}
    ),

    with_se as (
        select
            by_stratum.stratum_level,
            by_stratum.stratum_id,
            {% for k in fine_keys -%}
            by_stratum.{{ k }},
            {% endfor -%}
            {% for y in year_cols -%}
            by_stratum.{{ y }},
            {% endfor -%}
            by_stratum.n_units,
            by_stratum.n_units = 1 as is_se_collapsed,
            case
                when by_stratum.n_units > 1 then by_stratum.n_units - 1
                when collapsed.n_units > 1 then collapsed.n_units - 1
            end as sampling_df,
            {%- for v in value_cols %}
            by_stratum.{{ v }}_mean,
            case
                when by_stratum.n_units > 1 then by_stratum.{{ v }}_se
                else collapsed.{{ v }}_sd / sqrt(by_stratum.n_units)
            end as {{ v }}_se,
            {%- endfor %}
        from by_stratum
        inner join collapsed
            on {% for y in year_cols %}by_stratum.{{ y }} = collapsed.{{ y }}{% if not loop.last %} and {% endif %}{% endfor %}
    )

    select
        with_se.*,
        t_quantiles.t_975,
    from with_se
    asof left join {{ ref('seed_t_quantiles') }} as t_quantiles
        on with_se.sampling_df >= t_quantiles.df
{%- endmacro %}
