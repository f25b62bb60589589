{% macro normalise_region(expression) %}
    {#- Region codes as lower-case hyphenated names: " EU_West" -> eu-west. -#}
    nullif(replace(replace(lower(trim({{ expression }})), '_', '-'), ' ', '-'), '')
{% endmacro %}
