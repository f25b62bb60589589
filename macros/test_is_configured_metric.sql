{% test is_configured_metric(model, column_name) %}
    {#-
        Fails on every row whose metric is not one of var llm_migration_metrics (nulls pass: pair
        with not_null). Unlike accepted_values with a literal list, it follows a project's own
        metric configuration.
    -#}
    select *
    from {{ model }}
    where {{ column_name }} is not null
        and not {{ llm_migration.is_one_of(column_name, llm_migration.metric_names()) }}
{% endtest %}
