{% macro normalise_metric(expression) %}
    {#- Canonical metric name: configured aliases mapped, anything else normalised as a token. -#}
    {%- set token = llm_migration.normalise_token(expression) -%}
    {%- set aliases = var('llm_migration_metric_aliases', {}) or {} -%}
    {%- if not aliases -%}
    {#- No aliases: a CASE with no WHEN is not SQL. -#}
    {{ token }}
    {%- else -%}
    case
        {%- for alias, metric in aliases.items() %}
        when {{ token }} = '{{ alias | lower }}' then '{{ metric }}'
        {%- endfor %}
        else {{ token }}
    end
    {%- endif -%}
{% endmacro %}
