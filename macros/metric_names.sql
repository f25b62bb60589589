{% macro metric_names() %}
    {#- The configured metric names, as a list. -#}
    {{ return(var('llm_migration_metrics').keys() | list) }}
{% endmacro %}
