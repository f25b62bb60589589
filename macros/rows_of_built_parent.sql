{% macro rows_of_built_parent(parent, sql) %}
    {#-
        The rows of `sql` (a query on `parent`) at execution time, or none before `parent` is
        built (parse, docs, a first compile): what a singular test logs, since dbt prints only
        how many rows a failing test returned.
    -#}
    {%- if execute and adapter.get_relation(parent.database, parent.schema, parent.identifier) is not none -%}
        {{ return(run_query(sql).rows) }}
    {%- endif -%}
    {{ return([]) }}
{% endmacro %}
