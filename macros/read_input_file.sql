{% macro read_input_file(path, format) %}
    {{ return(adapter.dispatch('read_input_file', 'llm_migration')(path, format)) }}
{% endmacro %}

{% macro default__read_input_file(path, format) %}
    {{ exceptions.raise_compiler_error("Reading input files needs DuckDB; use llm_migration_input_mode: tables on " ~ target.type) }}
{% endmacro %}

{% macro duckdb__read_input_file(path, format) %}
    {#- CSV is read as text so the raw row is kept exactly as written; typing is staging's job. -#}
    {%- set quoted = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- if format == 'parquet' -%}
        read_parquet({{ quoted }})
    {%- elif format == 'csv' -%}
        read_csv({{ quoted }}, header = true, all_varchar = true)
    {%- else -%}
        read_json({{ quoted }}, format = 'newline_delimited')
    {%- endif -%}
{% endmacro %}
