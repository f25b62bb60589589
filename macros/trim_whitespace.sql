{% macro trim_whitespace(expression) %}
    {#-
        The text without leading and trailing spaces, tabs, carriage returns and line feeds, and
        the invisible characters exports leave around values: no-break space (U+00A0), zero-width
        space (U+200B) and byte-order mark (U+FEFF). "eu-west" followed by a no-break space was
        a phantom region of its own that printed like eu-west.
    -#}
    {{ return(adapter.dispatch('trim_whitespace', 'llm_migration')(expression)) }}
{% endmacro %}

{% macro default__trim_whitespace(expression) %}
    {#- trim() alone removes spaces only: read the others as spaces first. -#}
    trim(replace(replace(replace(replace(replace(replace({{ expression }},
        chr(9), ' '), chr(10), ' '), chr(13), ' '), chr(160), ' '), chr(8203), ' '), chr(65279), ' '))
{% endmacro %}

{% macro duckdb__trim_whitespace(expression) %}
    {#- One pass with the characters to strip. -#}
    trim({{ expression }}, ' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(8203) || chr(65279))
{% endmacro %}

{% macro bigquery__trim_whitespace(expression) %}
    {#- BigQuery has no chr(); its string literals read \t, \n, \r and \uXXXX as the characters. -#}
    trim({{ expression }}, ' \t\n\r\u00a0\u200b\ufeff')
{% endmacro %}
