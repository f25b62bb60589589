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
    {#-
        A time to the minute followed by its zone ("2026-10-21T10:00Z", "10:00+02:00",
        "10:00 Europe/London") is ISO 8601 too, but DuckDB's cast needs the seconds there (it
        reads "10:00" alone), and it reads no space before an offset or a Z ("10:00:00 +0200",
        as many loggers write it, or "10:00:00 Z"): such texts were rejected as not timestamps.
        Where the first cast failed they are read again with ":00" after the minutes and
        without that space.
    -#}
    {%- set with_seconds = "regexp_replace(regexp_replace(" ~ expression ~ ", '^(\\s*\\d{4}-\\d{2}-\\d{2}[T ]\\d{1,2}:\\d{2})(\\s*[A-Za-z+-])', '\\1:00\\2'), '\\s+([+-]\\d{2}(:?\\d{2})?|Z)\\s*$', '\\1')" -%}
    {%- set read = "coalesce(try_cast(" ~ expression ~ " as timestamptz), try_cast(" ~ with_seconds ~ " as timestamptz))" -%}
    case
        when regexp_matches({{ expression }}, '[A-Za-z]{2}')
            then case
                when {{ llm_migration.zone_abbreviation(expression) }} is null
                    then cast({{ read }} as timestamp)
            end
        else cast({{ read }} as timestamp)
    end
{% endmacro %}

{% macro zone_abbreviation(expression) %}
    {#-
        The time zone abbreviation a timestamp text ends with (upper case) when the engine would
        read it as another zone than the writer meant, else null; its parse_timestamp then gives
        null and staging says why. The default: none (the engine's cast decides).
    -#}
    {{ return(adapter.dispatch('zone_abbreviation', 'llm_migration')(expression)) }}
{% endmacro %}

{% macro default__zone_abbreviation(expression) %}
    cast(null as {{ dbt.type_string() }})
{% endmacro %}

{% macro duckdb__zone_abbreviation(expression) %}
    {#-
        DuckDB reads a three-letter zone as ICU's zone of that id (an IANA zone, or a legacy
        Java id). These are the ones that are not what a writer means by it, or not only:
        BST as Bangladesh (+06) for British summer time, AST as Alaska for Atlantic, NST as New
        Zealand for Newfoundland, IST as India for Irish or Israel, CST as Chicago for China,
        SST as the Solomon Islands for Samoa or Singapore, ECT as Paris for Ecuador, ART as
        Cairo for Argentina, ACT as Darwin for Acre, MIT as Apia (+13) for Midway (-11); and
        PST, CET, EET, WET and MET with summer time, so "10:00 CET" in July was read as +02.
        Every other name the cast reads is what it says: EST, MST and HST are fixed offsets in
        IANA, JST, EAT and CAT their one zone, Japan, Egypt, PRC or NZ a zone's IANA name; a
        name it does not know (EDT, AM, PM: DuckDB has no 12-hour clock) is not read, and
        staging says so.
    -#}
    {%- set letters = "upper(regexp_extract(" ~ expression ~ ", '[0-9]\s*([A-Za-z]{3})\s*$', 1))" -%}
    case
        when {{ letters }} in ('ACT', 'ART', 'AST', 'BST', 'CET', 'CST', 'ECT', 'EET', 'IST', 'MET', 'MIT', 'NST', 'PST', 'SST', 'WET')
            then {{ letters }}
    end
{% endmacro %}
