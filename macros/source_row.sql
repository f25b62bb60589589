{% macro source_row(relation_alias, column_names) %}
    {{ return(adapter.dispatch('source_row', 'llm_migration')(relation_alias, column_names)) }}
{% endmacro %}

{% macro default__source_row(relation_alias, column_names) %}
    {#- Portable fallback: the row as "col=value; col=value" text, built up front. -#}
    {%- set parts = [] -%}
    {%- for column in column_names -%}
        {%- do parts.append("'" ~ column ~ "='") -%}
        {%- do parts.append("coalesce(cast(" ~ relation_alias ~ "." ~ llm_migration.quote_column(column) ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
        {%- if not loop.last %}{% do parts.append("'; '") %}{% endif -%}
    {%- endfor -%}
    {%- if parts -%}{{ dbt.concat(parts) }}{%- else -%}cast(null as {{ dbt.type_string() }}){%- endif -%}
{% endmacro %}

{% macro duckdb__source_row(relation_alias, column_names) %}
    {#-
        The whole row as a struct. Carrying it along costs next to nothing; serialising it does
        (to_json of every row of a large input costs more than the rest of staging), so it is
        turned into text (raw_row_text) only for the rows that are rejected.
    -#}
    {{ relation_alias }}
{% endmacro %}
