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
    {#-
        Through timestamptz so an offset (+02, Z) or a zone name (Europe/Paris) is honoured; the
        session runs in UTC. Texts naming a zone (two letters in a row: neither the T nor the Z
        of ISO 8601) are cast apart from the others: DuckDB's cast keeps the zone a text names
        for the texts without an offset after it in the same vector, so one "... Asia/Tokyo"
        moved up to 2,047 following times by 9 hours.
    -#}
    case
        when regexp_matches({{ expression }}, '[A-Za-z]{2}')
            then cast(try_cast({{ expression }} as timestamptz) as timestamp)
        else cast(try_cast({{ expression }} as timestamptz) as timestamp)
    end
{% endmacro %}
