{% macro repeated_keys(relation, key_columns, aggregates=[]) %}
    {{ return(adapter.dispatch('repeated_keys', 'llm_migration')(relation, key_columns, aggregates)) }}
{% endmacro %}

{% macro default__repeated_keys(relation, key_columns, aggregates) %}
    {#- Every combination of key_columns that occurs more than once (nulls count as a value), with its row count and the given aggregates over its rows. -#}
    select
        {{ key_columns | join(', ') }},
        {%- for aggregate in aggregates %}
        {{ aggregate }},
        {%- endfor %}
        count(*) as n_rows
    from {{ relation }}
    group by {{ key_columns | join(', ') }}
    having count(*) > 1
{% endmacro %}

{% macro duckdb__repeated_keys(relation, key_columns, aggregates) %}
    {#-
        The same result in two exact steps. Grouping millions of rows into as many groups by
        several text columns is the costly part, and nearly every key occurs once: first the
        64-bit digests of the key that occur more than once (one integer per row), then the
        default grouping over only the rows with those digests. A digest collision only adds rows
        to the second step, which groups by the key itself.
    -#}
    {%- set digest = "hash(" ~ key_columns | join(', ') ~ ")" %}
    {%- set candidate_rows -%}
    (
        select * from {{ relation }}
        where {{ digest }} in (
            select {{ digest }} from {{ relation }} group by 1 having count(*) > 1
        )
    ) as candidate_rows
    {%- endset %}
    {{ llm_migration.default__repeated_keys(candidate_rows, key_columns, aggregates) }}
{% endmacro %}
