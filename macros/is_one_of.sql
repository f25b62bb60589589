{% macro is_one_of(expression, values) %}
    {#-
        expression = one of the text values, as a chain of equalities. Not `in (...)`: DuckDB
        plans a list of five or more constants as a join, which stays in the plan (and keeps
        computing its input) even when a query does not read the column it feeds; a view column
        nobody selects then still costs its full price.
    -#}
    {%- if values | length == 0 -%}
        false
    {%- else -%}
        ({% for value in values %}{{ expression }} = '{{ value | replace("'", "''") }}'{{ " or " if not loop.last }}{% endfor %})
    {%- endif -%}
{% endmacro %}
