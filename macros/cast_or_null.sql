{% macro cast_or_null(expression, data_type) %}
    {#- Cast that yields null instead of failing; dbt's default is a plain cast on some adapters. -#}
    {{ return(adapter.dispatch('cast_or_null', 'llm_migration')(expression, data_type)) }}
{% endmacro %}

{% macro default__cast_or_null(expression, data_type) %}
    {{ return(dbt.safe_cast(expression, data_type)) }}
{% endmacro %}

{% macro duckdb__cast_or_null(expression, data_type) %}
    try_cast({{ expression }} as {{ data_type }})
{% endmacro %}
