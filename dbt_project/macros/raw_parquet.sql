{#- The raw layer: one Parquet file per received file, per family, written by ingestion/. -#}
{% macro raw_parquet(family) -%}
read_parquet('{{ env_var("SINKWATCH_HOME") }}/warehouse/raw/{{ family }}/*.parquet', union_by_name = true)
{%- endmacro %}

{#- A factor from seed_carbon_factors, as a scalar subquery: models never hide literal factors. -#}
{% macro factor(parameter, stratum) -%}
(select value from {{ ref('seed_carbon_factors') }} where parameter = '{{ parameter }}' and stratum = '{{ stratum }}')
{%- endmacro %}

{#- 100-year GWP of a gas for the vintage chosen with var('gwp_vintage'). -#}
{% macro gwp(gas) -%}
(select value from {{ ref('seed_carbon_factors') }} where parameter = 'gwp100_{{ gas }}' and vintage = '{{ var("gwp_vintage") }}')
{%- endmacro %}

{#- Mart measures are rounded to a fixed precision so that reruns are bit-identical: DuckDB's
    parallel aggregation sums floats in a varying order, which changes the last bits only. -#}
{% macro measure(expr, digits=3) -%}
round({{ expr }}, {{ digits }})
{%- endmacro %}

{#- Rows of a file that a corrected re-upload of the same logical batch superseded are dropped
    (ingestion/loader.py records `superseded_by` in the manifest). -#}
{% macro not_superseded() -%}
_source_sha256 not in (
    select sha256 from {{ source('ops', 'manifest') }} where superseded_by is not null
)
{%- endmacro %}
