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
