{% macro percentile(expression, fraction) %}
    {{ return(adapter.dispatch('percentile', 'llm_migration')(expression, fraction)) }}
{% endmacro %}

{% macro default__percentile(expression, fraction) %}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{% endmacro %}

{% macro duckdb__percentile(expression, fraction) %}
    quantile_cont({{ expression }}, {{ fraction }})
{% endmacro %}

{% macro bigquery__percentile(expression, fraction) %}
    approx_quantiles({{ expression }}, 100)[offset({{ (fraction * 100) | int }})]
{% endmacro %}

{% macro spark__percentile(expression, fraction) %}
    percentile({{ expression }}, {{ fraction }})
{% endmacro %}
