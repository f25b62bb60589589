{% macro trim_whitespace(expression) %}
    {#- The text without leading and trailing spaces, tabs, carriage returns and line feeds. -#}
    {{ return(adapter.dispatch('trim_whitespace', 'llm_migration')(expression)) }}
{% endmacro %}

{% macro default__trim_whitespace(expression) %}
    {#- trim() alone removes spaces only: read tabs and line breaks as spaces first. -#}
    trim(replace(replace(replace({{ expression }}, chr(9), ' '), chr(10), ' '), chr(13), ' '))
{% endmacro %}

{% macro duckdb__trim_whitespace(expression) %}
    {#- One pass with the characters to strip. -#}
    trim({{ expression }}, ' ' || chr(9) || chr(10) || chr(13))
{% endmacro %}

{% macro bigquery__trim_whitespace(expression) %}
    {#- BigQuery has no chr(); its string literals read \t, \n and \r as the characters. -#}
    trim({{ expression }}, ' \t\n\r')
{% endmacro %}
