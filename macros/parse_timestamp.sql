{% macro parse_timestamp(expression) %}
    {{ return(adapter.dispatch('parse_timestamp', 'llm_migration')(expression)) }}
{% endmacro %}

{% macro default__parse_timestamp(expression) %}
    {#-
        Standard SQL: through a timestamp with time zone, so an offset (+02, Z) is honoured, then
        the wall-clock time in UTC; text without an offset is read in the session's zone. An
        engine without AT TIME ZONE (Snowflake: convert_timezone) needs its own version rather
        than a plain cast, which would keep 10:00+02 as 10:00.
    -#}
    ({{ llm_migration.cast_or_null(expression, 'timestamp with time zone') }} at time zone 'UTC')
{% endmacro %}

{% macro duckdb__parse_timestamp(expression) %}
    {#- Through timestamptz so an offset (+02, Z) is honoured; the session runs in UTC. -#}
    cast(try_cast({{ expression }} as timestamptz) as timestamp)
{% endmacro %}
