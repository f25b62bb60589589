{% macro input_text(expression, delivered_type) %}
    {#-
        A delivered column as the text staging reads, whatever its type. delivered_type: the
        column's type as the input reports it (upper case).
    -#}
    {{ return(adapter.dispatch('input_text', 'llm_migration')(expression, delivered_type)) }}
{% endmacro %}

{% macro default__input_text(expression, delivered_type) %}
    cast({{ expression }} as {{ dbt.type_string() }})
{% endmacro %}

{% macro duckdb__input_text(expression, delivered_type) %}
    {#-
        A DECIMAL as its number without the trailing zeros of its scale: a 0/1 label column
        exported as DECIMAL(3,2) printed 1.00 and 0.00, which no spelling matches, so every such
        label was rejected.

        A whole float as its integer: numeric ids in a pandas column with a missing value are
        floats, so a Parquet file held trace id 1.0 where the other inputs said 1, and no
        verdict found its trace. Another float is read as it prints (1.5): that is the id as any
        reader shows it, and it matches the same id written as text. Beyond 2^53 a float no
        longer holds every integer, so such a value is left as it prints (1e+20): the id it was
        made from cannot be recovered, and a verdict naming it is rejected as of an unknown trace.
        A 4-byte float (FLOAT, REAL) holds every integer below 2^24 only: past it, id 123456789
        was stored as 123456792 and read as that integer, another trace's id, so its verdicts
        were kept against the wrong trace.

        A NaN float is no value: read as the text 'nan' it was an id like any other, so a
        trace whose id was NaN was kept, and a verdict naming 'nan' was attached to it.
    -#}
    {%- if delivered_type in ('DOUBLE', 'FLOAT', 'REAL', 'FLOAT4', 'FLOAT8') -%}
        {%- set exact_below = 9007199254740992 if delivered_type in ('DOUBLE', 'FLOAT8') else 16777216 -%}
        case
            when isnan({{ expression }}) then null
            when {{ expression }} = trunc({{ expression }}) and abs({{ expression }}) < {{ exact_below }}
                then cast(cast({{ expression }} as bigint) as varchar)
            else cast({{ expression }} as varchar)
        end
    {%- elif delivered_type.startswith('DECIMAL') or delivered_type.startswith('NUMERIC') -%}
        case
            when contains(cast({{ expression }} as varchar), '.')
                then rtrim(rtrim(cast({{ expression }} as varchar), '0'), '.')
            else cast({{ expression }} as varchar)
        end
    {%- else -%}
        cast({{ expression }} as varchar)
    {%- endif -%}
{% endmacro %}
