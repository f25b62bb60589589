{% macro row_fingerprint(relation_alias, column_names) %}
    {{ return(adapter.dispatch('row_fingerprint', 'llm_migration')(relation_alias, column_names)) }}
{% endmacro %}

{% macro default__row_fingerprint(relation_alias, column_names) %}
    {#- A digest of every delivered column: incremental refreshes compare it to spot changed rows. -#}
    {{ dbt.hash(llm_migration.default__source_row(relation_alias, column_names)) }}
{% endmacro %}

{% macro duckdb__row_fingerprint(relation_alias, column_names) %}
    {#-
        DuckDB's 64-bit hash of every delivered column, as text (the column type the incremental
        tables were built with). It only has to tell a changed row from an unchanged one, and is
        two orders of magnitude cheaper than md5 over a JSON serialisation of the row.
    -#}
    cast(hash(
        {%- for column in column_names %}
        {{ relation_alias }}.{{ adapter.quote(column) }}{{ "," if not loop.last }}
        {%- endfor %}
    ) as {{ dbt.type_string() }})
{% endmacro %}
