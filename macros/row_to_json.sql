{% macro row_to_json(relation_alias, column_names) %}
    {{ return(adapter.dispatch('row_to_json', 'llm_migration')(relation_alias, column_names)) }}
{% endmacro %}

{% macro default__row_to_json(relation_alias, column_names) %}
    {#- Portable fallback: "col=value; col=value" text, so rejects keep the row they came from. -#}
    {%- set parts = [] -%}
    {%- for column in column_names -%}
        {%- do parts.append("'" ~ column ~ "='") -%}
        {%- do parts.append("coalesce(cast(" ~ relation_alias ~ "." ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
        {%- if not loop.last %}{% do parts.append("'; '") %}{% endif -%}
    {%- endfor -%}
    {%- if parts -%}{{ dbt.concat(parts) }}{%- else -%}cast(null as {{ dbt.type_string() }}){%- endif -%}
{% endmacro %}

{% macro duckdb__row_to_json(relation_alias, column_names) %}
    cast(to_json({{ relation_alias }}) as {{ dbt.type_string() }})
{% endmacro %}
