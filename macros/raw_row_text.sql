{% macro raw_row_text(source_row_expression) %}
    {{ return(adapter.dispatch('raw_row_text', 'llm_migration')(source_row_expression)) }}
{% endmacro %}

{% macro default__raw_row_text(source_row_expression) %}
    {#- source_row is already text here. -#}
    {{ source_row_expression }}
{% endmacro %}

{% macro duckdb__raw_row_text(source_row_expression) %}
    cast(to_json({{ source_row_expression }}) as {{ dbt.type_string() }})
{% endmacro %}
