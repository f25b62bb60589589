{% test unique_combination_of_columns(model, combination_of_columns) %}
    {#- Fails on every combination that occurs more than once; nulls count as a value. -#}
    {{ llm_migration.repeated_keys(model, combination_of_columns) }}
{% endtest %}
