{% macro row_fingerprint(relation_alias, column_names) %}
    {{ return(adapter.dispatch('row_fingerprint', 'llm_migration')(relation_alias, column_names)) }}
{% endmacro %}

{% macro default__row_fingerprint(relation_alias, column_names) %}
    {#- A digest of every delivered column: incremental refreshes compare it to spot changed rows. -#}
    {{ dbt.hash(llm_migration.default__source_row(relation_alias, column_names)) }}
{% endmacro %}

{% macro duckdb__row_fingerprint(relation_alias, column_names) %}
    {#-
        DuckDB's 64-bit hash of every delivered column, kept as the integer it is. It only has to
        tell a changed row from an unchanged one, and is two orders of magnitude cheaper than md5
        over a JSON serialisation of the row; as text it cost about 2 s per 16M rows to write.
        Tables built when it was text need one `dbt build --full-refresh` (on_schema_change=fail).
    -#}
    hash(
        {%- for column in column_names %}
        {{ relation_alias }}.{{ llm_migration.quote_column(column) }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{% endmacro %}
