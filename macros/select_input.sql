{% macro select_input(input_name) %}
    {#-
        Select one input in the contract: every contract column as text (missing optional columns
        as null), the source row number, a fingerprint of the row (row_hash: what incremental
        refreshes compare) and the row as delivered (source_row, serialised by raw_row_text only
        where a raw row is shown). Fails with a clear error naming the input and the missing
        required columns.

        A column staging reads as a timestamp or number (the contract's "typed") also gets
        <column>_value. When the input already delivers it in a type that converts exactly
        (typed_input_value: e.g. a Parquet timestamp), <column>_value holds it and the text column
        is null, so staging takes the value instead of printing it to text and parsing it back
        (on millions of rows that round trip costs more than everything else staging does);
        otherwise <column>_value is null and staging parses the text.
    -#}
    {%- set contract = llm_migration.input_contract()[input_name] -%}
    {%- if var('llm_migration_input_mode') == 'tables' -%}
        {%- set relation = source(input_name, input_name) -%}
        {%- set location = 'source ' ~ input_name ~ '.' ~ input_name ~ ' (' ~ relation ~ ')' -%}
        {%- set from_clause = relation -%}
        {%- set format = none -%}
    {%- elif var('llm_migration_input_mode') == 'files' -%}
        {%- set found = llm_migration.locate_input_file(input_name) -%}
        {%- set location = found.path -%}
        {%- set from_clause = llm_migration.read_input_file(found.path, found.format) -%}
        {%- set format = found.format -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var llm_migration_input_mode must be 'files' or 'tables', got '"
            ~ var('llm_migration_input_mode') ~ "'") }}
    {%- endif -%}

    {%- set present = {} -%}
    {%- set delivered_types = {} -%}
    {%- if execute -%}
        {%- if var('llm_migration_input_mode') == 'tables' -%}
            {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
                {{ exceptions.raise_compiler_error(
                    "input '" ~ input_name ~ "': table " ~ relation ~ " does not exist. Check "
                    ~ "llm_migration_source_database, llm_migration_source_schema and "
                    ~ "llm_migration_source_tables.") }}
            {%- endif -%}
            {%- set columns = adapter.get_columns_in_relation(relation) -%}
            {%- for column in columns -%}
                {%- do present.update({column.name | lower: column.name}) -%}
                {%- do delivered_types.update({column.name | lower: column.dtype | upper}) -%}
            {%- endfor -%}
        {%- elif format == 'jsonl' -%}
            {%- set names = llm_migration.jsonl_keys(location, input_name) -%}
            {%- if not names -%}
                {{ exceptions.raise_compiler_error(
                    "input '" ~ input_name ~ "' (" ~ location ~ ") is empty: it needs at least one "
                    ~ "object (JSON lines) with the columns " ~ contract.required | join(', ')) }}
            {%- endif -%}
            {%- set from_clause = llm_migration.jsonl_as_text(location, names) -%}
            {%- for name in names -%}
                {%- do present.update({name | lower: name}) -%}
                {%- do delivered_types.update({name | lower: 'VARCHAR'}) -%}
            {%- endfor -%}
        {%- else -%}
            {%- set described = run_query('describe select * from ' ~ from_clause) -%}
            {%- set names = described.columns[0].values() | list -%}
            {#- What DuckDB makes of an empty file: one made-up column. -#}
            {%- if format == 'csv' and names == ['column0'] -%}
                {{ exceptions.raise_compiler_error(
                    "input '" ~ input_name ~ "' (" ~ location ~ ") is empty: it needs a header row "
                    ~ "with the columns " ~ contract.required | join(', ')) }}
            {%- endif -%}
            {%- if format == 'csv' and names | length == 1 and ',' in names[0] -%}
                {%- set header = names[0].split(',') -%}
                {%- set problems = llm_migration.csv_field_count_problems(location, header) -%}
                {{ exceptions.raise_compiler_error(
                    "input '" ~ input_name ~ "' (" ~ location ~ "): rows do not have the header's "
                    ~ header | length ~ " comma-separated fields, so the file cannot be read as CSV. "
                    ~ (problems | join('; ') if problems else 'Check the quoting of fields that contain commas or line breaks.')) }}
            {%- endif -%}
            {%- for row in described.rows -%}
                {%- do present.update({row[0] | lower: row[0]}) -%}
                {%- do delivered_types.update({row[0] | lower: row[1] | upper}) -%}
            {%- endfor -%}
            {#-
                DuckDB renames a repeated header (label, label_1): which one is meant is unknowable.
                A Parquet file's columns differing only in case (label, Label) are renamed alike,
                and Label was ignored without a word.
            -#}
            {%- set repeated = [] -%}
            {%- for name in present if format in ('csv', 'parquet') -%}
                {%- set match = modules.re.match('^(.+)_[0-9]+$', name) -%}
                {%- if match and match.group(1) in present and match.group(1) in contract.required + contract.optional -%}
                    {%- do repeated.append(match.group(1)) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if repeated -%}
                {{ exceptions.raise_compiler_error(
                    "input '" ~ input_name ~ "' (" ~ location ~ "): "
                    ~ ("the header names " if format == 'csv' else "the file has columns named ")
                    ~ repeated | unique | join(', ') ~ " more than once"
                    ~ ("" if format == 'csv' else " (column names are matched without regard to case)")
                    ~ "; keep one column of each name") }}
            {%- endif -%}
        {%- endif -%}
        {%- set missing = [] -%}
        {%- for column in contract.required if column not in present -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "input '" ~ input_name ~ "' (" ~ location ~ ") is missing required column(s): "
                ~ missing | join(', ') ~ ". Required: " ~ contract.required | join(', ')
                ~ "; found: " ~ (present.values() | list | join(', '))
                ~ (llm_migration.csv_header_mismatch(location, present | length) if format == 'csv' else '')) }}
        {%- endif -%}
        {#-
            Columns outside the contract are not read. Say which: a near miss of an optional
            column (latency for latency_ms, labelled_at) lost every value of it without a word.
        -#}
        {%- set unread = [] -%}
        {%- for name, delivered in present.items() if name not in contract.required + contract.optional -%}
            {%- do unread.append(delivered) -%}
        {%- endfor -%}
        {%- if unread -%}
            {%- do log("llm_migration: input '" ~ input_name ~ "' (" ~ location ~ "): column(s) "
                ~ unread | join(', ') ~ " are not read; its optional columns are "
                ~ contract.optional | join(', '), info=True) -%}
        {%- endif -%}
    {%- endif %}
    select
        {{ llm_migration.input_row_number('src', format, present.values() | list) }} as source_row_number,
        {{ llm_migration.row_fingerprint('src', present.values() | list) }} as row_hash,
        {{ llm_migration.source_row('src', present.values() | list) }} as source_row,
        {%- for column in contract.required + contract.optional %}
        {%- set target_type = contract.typed.get(column) %}
        {%- set value = none %}
        {%- if column in present and target_type %}
            {%- set value = llm_migration.typed_input_value(
                'src.' ~ llm_migration.quote_column(present[column]), delivered_types[column], target_type) %}
        {%- endif %}
        {%- if column in present and value is none %}
        {{ llm_migration.input_text(llm_migration.quote_column(present[column]), delivered_types[column]) }} as {{ column }}
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ column }}
        {%- endif %}
        {%- if target_type %},
        {%- if value is none %}
        cast(null as {{ api.Column.translate_type(target_type) if target_type == 'timestamp' else llm_migration.type_double() }}) as {{ column }}_value
        {%- else %}
        {{ value }} as {{ column }}_value
        {%- endif %}
        {%- endif %}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ from_clause }} as src
{% endmacro %}
