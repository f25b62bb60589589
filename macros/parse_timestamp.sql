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
            then case
                when {{ llm_migration.zone_abbreviation(expression) }} is null
                    then cast(try_cast({{ expression }} as timestamptz) as timestamp)
            end
        else cast(try_cast({{ expression }} as timestamptz) as timestamp)
    end
{% endmacro %}

{% macro zone_abbreviation(expression) %}
    {#-
        The time zone abbreviation a timestamp text ends with (BST, CST, IST; upper case), else
        null. Several zones share each, and DuckDB reads them as the legacy zone ids of ICU:
        BST as Bangladesh (+06), AST as Alaska, NST as New Zealand, CST as Chicago, PST with
        summer time; so its parse_timestamp gives null for them and staging says why. UTC and GMT
        are not abbreviations of that kind. The default: none (the engine's cast decides).
    -#}
    {{ return(adapter.dispatch('zone_abbreviation', 'llm_migration')(expression)) }}
{% endmacro %}

{% macro default__zone_abbreviation(expression) %}
    cast(null as {{ dbt.type_string() }})
{% endmacro %}

{% macro duckdb__zone_abbreviation(expression) %}
    {%- set letters = "upper(regexp_extract(" ~ expression ~ ", '[0-9]\s*([A-Za-z]{2,5})\s*$', 1))" -%}
    {#- AM and PM are no zones: such a text is not read (DuckDB has no 12-hour clock) and says so. -#}
    case when {{ letters }} not in ('', 'UTC', 'GMT', 'UT', 'UCT', 'ZULU', 'AM', 'PM') then {{ letters }} end
{% endmacro %}
