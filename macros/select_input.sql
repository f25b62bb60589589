{% macro select_input(input_name) %}
    {#-
        Select one input in the contract: every contract column as text (missing optional columns
        as null), a source row number and the raw row. Fails with a clear error naming the input
        and the missing required columns.
    -#}
    {%- set contract = llm_migration.input_contract()[input_name] -%}
    {%- if var('llm_migration_input_mode') == 'tables' -%}
        {%- set relation = source(input_name, input_name) -%}
        {%- set location = 'source ' ~ input_name ~ '.' ~ input_name ~ ' (' ~ relation ~ ')' -%}
        {%- set from_clause = relation -%}
    {%- elif var('llm_migration_input_mode') == 'files' -%}
        {%- set found = llm_migration.locate_input_file(input_name) -%}
        {%- set location = found.path -%}
        {%- set from_clause = llm_migration.read_input_file(found.path, found.format) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var llm_migration_input_mode must be 'files' or 'tables', got '"
            ~ var('llm_migration_input_mode') ~ "'") }}
    {%- endif -%}

    {%- set present = {} -%}
    {%- if execute -%}
        {%- if var('llm_migration_input_mode') == 'tables' -%}
            {%- set columns = adapter.get_columns_in_relation(relation) -%}
            {%- for column in columns -%}
                {%- do present.update({column.name | lower: column.name}) -%}
            {%- endfor -%}
        {%- else -%}
            {%- set described = run_query('describe select * from ' ~ from_clause) -%}
            {%- for row in described.rows -%}
                {%- do present.update({row[0] | lower: row[0]}) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set missing = [] -%}
        {%- for column in contract.required if column not in present -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "input '" ~ input_name ~ "' (" ~ location ~ ") is missing required column(s): "
                ~ missing | join(', ') ~ ". Required: " ~ contract.required | join(', ')
                ~ "; found: " ~ (present.values() | list | join(', '))) }}
        {%- endif -%}
    {%- endif %}
    select
        row_number() over () as source_row_number,
        {{ llm_migration.row_to_json('src', present.values() | list) }} as raw_row,
        {%- for column in contract.required + contract.optional %}
        {%- if column in present %}
        cast({{ adapter.quote(present[column]) }} as {{ dbt.type_string() }}) as {{ column }}
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ column }}
        {%- endif %}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ from_clause }} as src
{% endmacro %}
