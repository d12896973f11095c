{#- Table-granularity lineage (model `lineage`): for every model under models/marts/ not in
    `row_level_marts`, the raw families upstream of it in dbt's graph (a walk over depends_on down
    to the sources; ops, monitoring and seeds are not uploads), and every file of those families
    whose rows are in the raw layer (accepted rows, not superseded). -#}
{% macro lineage_table_level(row_level_marts) -%}
{%- set pairs = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and 'marts' in node.fqn and node.name != this.identifier
              and node.name not in row_level_marts -%}
            {%- set ns = namespace(frontier=[node.unique_id]) -%}
            {%- set seen = [] -%}
            {%- set families = [] -%}
            {%- for level in range(50) -%}
                {%- set next = [] -%}
                {%- for uid in ns.frontier -%}
                    {%- set deps = graph.nodes[uid].depends_on.nodes if uid in graph.nodes else [] -%}
                    {%- for dep in deps if dep not in seen -%}
                        {%- do seen.append(dep) -%}
                        {%- if dep in graph.sources -%}
                            {%- set src = graph.sources[dep] -%}
                            {%- if src.source_name.startswith('raw_') and src.name not in families -%}
                                {%- do families.append(src.name) -%}
                            {%- endif -%}
                        {%- else -%}
                            {%- do next.append(dep) -%}
                        {%- endif -%}
                    {%- endfor -%}
                {%- endfor -%}
                {%- set ns.frontier = next -%}
            {%- endfor -%}
            {%- for family in families | sort -%}
                {%- do pairs.append((node.name, family)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}
    select upstream.mart, manifest.sha256
    from (
        {%- if pairs %}
        values
        {%- for mart, family in pairs %}
            ('{{ mart }}', '{{ family }}'){{ ',' if not loop.last }}
        {%- endfor %}
        {%- else %}
        select cast(null as varchar), cast(null as varchar) where false
        {%- endif %}
    ) as upstream (mart, family)
    inner join {{ ref('ingest_manifest') }} as manifest
        on upstream.family = manifest.family
    where manifest.rows_accepted > 0 and manifest.superseded_by is null
{%- endmacro %}

{#- The row-level parts of the lineage mart: part model -> the marts whose rows it holds. The
    lineage mart is incremental over these parts (issue #17): a build re-reads a part only when
    dbt selected the part's model in this invocation (it was rebuilt), and first deletes every
    row of that part's marts; the other parts' rows stay as the previous build wrote them. Rows
    that are recomputed on every build (fire danger, table granularity) form the part `always`. -#}
{% macro lineage_parts() -%}
    {{ return({
        'int_lineage__stock_rows': ['fct_carbon_stock', 'dim_parcels'],
        'int_lineage__sink_rows': ['fct_annual_sink', 'fct_losses_by_cause', 'fct_city_annual_sink',
                                   'fct_zone_progress', 'fct_area_annual_sink'],
    }) }}
{%- endmacro %}

{#- Part models to (re)read in this build: all of them unless the lineage table is built
    incrementally; then those dbt selected (and so rebuilt) in this invocation. -#}
{% macro lineage_rebuilt_parts() -%}
    {%- set rebuilt = [] -%}
    {%- for part in lineage_parts() -%}
        {%- if not is_incremental() or ('model.' ~ project_name ~ '.' ~ part) in selected_resources -%}
            {%- do rebuilt.append(part) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(rebuilt) }}
{%- endmacro %}

{#- pre-hook of the lineage model: in an incremental build, delete the rows that this build
    writes again (the always part and the marts of every rebuilt part). -#}
{% macro lineage_delete_rebuilt() -%}
    {%- if is_incremental() -%}
        {%- set marts = ['fct_fire_danger_daily'] -%}
        {%- for part in lineage_rebuilt_parts() -%}
            {%- do marts.extend(lineage_parts()[part]) -%}
        {%- endfor -%}
        delete from {{ this }}
        where granularity = 'table' or mart in ('{{ marts | join("', '") }}')
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
