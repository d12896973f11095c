{#- Generic test: the combination of `columns` is unique (dbt_utils is not installable offline).
    `rebuilt_only`: test only the rows this dbt invocation built (column built_invocation_id of
    an incremental model; every row on a full refresh). Rendered when the test runs, so the id is
    this run's (a `where` config is rendered at parse time, and partial parsing would keep an old
    id). -#}
{% test unique_combination(model, columns, rebuilt_only=false) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
{%- if rebuilt_only %}
where built_invocation_id = '{{ invocation_id }}'
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- Generic test: within each group of `group_by`, `column` takes one value only
    (e.g. never two accounting methods for one stratum-year). -#}
{% test one_value_per_group(model, group_by, column) %}
select {{ group_by | join(', ') }}, count(distinct {{ column }}) as n_values
from {{ model }}
group by {{ group_by | join(', ') }}
having count(distinct {{ column }}) > 1
{% endtest %}

{#- Generic test: `column_name` is at least `min_value` wherever it is not null. -#}
{% test at_least(model, column_name, min_value) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }}
{% endtest %}
