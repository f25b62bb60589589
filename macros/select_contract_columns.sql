{% macro select_contract_columns(relation) %}
    {#-
        select every column documented for the current model, cast to its documented data_type,
        from ``relation``: the SQL face (contract enforced) of a table a Python model computed.
    -#}
    {%- if execute and model.columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("select_contract_columns: " ~ model.name ~ " documents no columns") }}
    {%- endif %}
    select
        {%- for name, column in model.columns.items() %}
        cast({{ adapter.quote(name) }} as {{ column.data_type }}) as {{ adapter.quote(name) }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{% endmacro %}
