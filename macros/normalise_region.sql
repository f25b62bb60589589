{% macro normalise_region(expression) %}
    {#-
        Region codes as lower-case hyphenated names: " EU_West" -> eu-west. Tabs and line breaks
        are trimmed too: "eu-west<TAB>" must not become a region of its own (a phantom region
        with traffic would hold every candidate's gates open).
    -#}
    nullif(replace(replace(lower({{ llm_migration.trim_whitespace(expression) }}), '_', '-'), ' ', '-'), '')
{% endmacro %}
