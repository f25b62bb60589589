{% macro parse_timestamp(expression) %}
    {{ return(adapter.dispatch('parse_timestamp', 'llm_migration')(expression)) }}
{% endmacro %}

{% macro default__parse_timestamp(expression) %}
    {{ dbt.safe_cast(expression, api.Column.translate_type('timestamp')) }}
{% endmacro %}

{% macro duckdb__parse_timestamp(expression) %}
    {#- Through timestamptz so an offset (+02, Z) is honoured; the session runs in UTC. -#}
    cast(try_cast({{ expression }} as timestamptz) as timestamp)
{% endmacro %}
