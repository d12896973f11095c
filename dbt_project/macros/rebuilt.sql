{#-
    Partition watermark for incremental models downstream of an incremental fact.

    `rebuilt_filter(column, upstream)` is `true` on a full refresh (or the first build) and
    otherwise keeps the rows of `upstream` whose `column` value (the partition, e.g.
    composite_year) has at least one row rebuilt by this dbt invocation (`built_invocation_id`,
    stamped by the upstream incremental model on every row it writes). Used with
    `delete+insert` on the same column, the model recomputes exactly the partitions that the
    new or corrected files touched and keeps the others as they are.
-#}
{% macro rebuilt_filter(column, upstream) -%}
    {%- if is_incremental() -%}
        {{ column }} in (
            select distinct {{ column }} from {{ upstream }}
            where built_invocation_id = '{{ invocation_id }}'
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
