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
    -#}
    {%- if delivered_type.startswith('DECIMAL') or delivered_type.startswith('NUMERIC') -%}
        case
            when contains(cast({{ expression }} as varchar), '.')
                then rtrim(rtrim(cast({{ expression }} as varchar), '0'), '.')
            else cast({{ expression }} as varchar)
        end
    {%- else -%}
        cast({{ expression }} as varchar)
    {%- endif -%}
{% endmacro %}
