{#- Generic test: the combination of `columns` is unique (dbt_utils is not installable offline). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
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
