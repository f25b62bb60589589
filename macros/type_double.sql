{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'llm_migration')()) }}
{% endmacro %}

{% macro default__type_double() %}
    {{ return(dbt.type_float()) }}
{% endmacro %}

{% macro duckdb__type_double() %}
    {#- DuckDB's FLOAT is 32-bit; rates and latencies want 64. -#}
    {{ return('double') }}
{% endmacro %}

{% macro postgres__type_double() %}
    {{ return('double precision') }}
{% endmacro %}
