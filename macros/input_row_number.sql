{% macro input_row_number(relation_alias, format, column_names) %}
    {{ return(adapter.dispatch('input_row_number', 'llm_migration')(relation_alias, format, column_names)) }}
{% endmacro %}

{% macro default__input_row_number(relation_alias, format, column_names) %}
    {#- The row's 1-based position in the input: scan order, kept because DuckDB preserves insertion order. -#}
    row_number() over ()
{% endmacro %}

{% macro duckdb__input_row_number(relation_alias, format, column_names) %}
    {#-
        Parquet files carry each row's position (the virtual column file_row_number, 0-based), so
        the number is the file's own and the scan stays parallel; CSV and JSON files and tables
        are numbered in scan order. A file with a real column of that name shadows the virtual
        one, so it is numbered in scan order too.
    -#}
    {%- if format == 'parquet' and 'file_row_number' not in (column_names | map('lower') | list) -%}
        {{ relation_alias }}.file_row_number + 1
    {%- else -%}
        row_number() over ()
    {%- endif -%}
{% endmacro %}
