{% macro typed_input_value(expression, delivered_type, target_type) %}
    {{ return(adapter.dispatch('typed_input_value', 'llm_migration')(expression, delivered_type, target_type)) }}
{% endmacro %}

{% macro default__typed_input_value(expression, delivered_type, target_type) %}
    {#- None: staging parses the column from text, whatever its type. -#}
    {{ return(none) }}
{% endmacro %}

{% macro duckdb__typed_input_value(expression, delivered_type, target_type) %}
    {#-
        SQL for a delivered typed column as the value staging would get by casting it to text and
        parsing that back (parse_timestamp, safe_cast to double), or none when only the round
        trip is certain to give that value. Timestamps with a time zone become UTC through epoch
        microseconds rather than a time zone conversion, which costs as much as the round trip;
        the profile runs sessions in UTC, where the two agree. FLOAT, DECIMAL and timestamps of
        other precisions take the text round trip: their text does not convert exactly.
    -#}
    {%- set integer_types = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT'] -%}
    {%- if target_type == 'timestamp' and delivered_type == 'TIMESTAMP' -%}
        {{ return(expression) }}
    {%- elif target_type == 'timestamp' and delivered_type in ('TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ') -%}
        {{ return('case when isfinite(' ~ expression ~ ') then make_timestamp(epoch_us(' ~ expression ~ ')) else cast(' ~ expression ~ ' as timestamp) end') }}
    {%- elif target_type == 'double' and (delivered_type == 'DOUBLE' or delivered_type in integer_types) -%}
        {{ return('cast(' ~ expression ~ ' as double)') }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{% endmacro %}
