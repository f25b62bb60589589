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
    {#-
        One pass with the characters to strip, for the texts that may need it: a text whose
        first and last characters are printable ASCII (above the space, below 128) has none of
        them around it and is taken as it is. Ids are read with this macro, and the check costs
        less than the trim (16M ids: 1.2 s for the check, 3.9 s for the trim, 1.8 s for trim()).
        Only for a column: the check names its expression four times.
    -#}
    {%- if modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', expression) %}
    case
        when {{ expression }}[1] > ' ' and {{ expression }}[1] < chr(128)
            and {{ expression }}[-1] > ' ' and {{ expression }}[-1] < chr(128)
            then {{ expression }}
        else trim({{ expression }}, ' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(8203) || chr(65279))
    end
    {%- else %}
    trim({{ expression }}, ' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(8203) || chr(65279))
    {%- endif %}
{% endmacro %}

{% macro bigquery__trim_whitespace(expression) %}
    {#- BigQuery has no chr(); its string literals read \t, \n, \r and \uXXXX as the characters. -#}
    trim({{ expression }}, ' \t\n\r\u00a0\u200b\ufeff')
{% endmacro %}
