{% macro quote_column(name) %}
    {#-
        A delivered column's name quoted as an identifier, a double quote inside it doubled: an
        extra JSON key or CSV header such as reviewer "note" stopped the build with a parser
        error naming neither the input nor the column (adapter.quote does not escape).
    -#}
    {%- if adapter.quote('x') == '"x"' -%}
        {{ return('"' ~ name | replace('"', '""') ~ '"') }}
    {%- else -%}
        {{ return(adapter.quote(name)) }}
    {%- endif -%}
{% endmacro %}
