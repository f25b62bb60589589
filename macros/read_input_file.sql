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

{% macro jsonl_as_text(path, keys) %}
    {#-
        A JSON-lines file with each key's value as text, as CSV is read: a string without its
        quotes, a number or boolean as written, an object or array as JSON text, null as null.
        read_json types each key from a sample of rows, so a value of another type beyond the
        sample failed the whole build, and a key holding mixed types came out as JSON text
        with quotes ('"correct"') that no spelling matches. keys: the keys to extract (from a
        describe of read_json).
    -#}
    {%- set quoted = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- set extracted = [] -%}
    {%- for key in keys -%}
        {%- do extracted.append("json ->> '$.\"" ~ key | replace("'", "''") ~ "\"' as " ~ adapter.quote(key)) -%}
    {%- endfor -%}
    (select {{ extracted | join(', ') }} from read_ndjson_objects({{ quoted }}))
{% endmacro %}

{% macro csv_field_count_problems(path, column_names) %}
    {#-
        The first rows of a CSV file whose number of fields differs from its header's, as
        "line N: message" texts (DuckDB's reject table). Called when the dialect sniffer, thrown
        by such rows, read the whole header as one column.
    -#}
    {%- set quoted = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- set columns = [] -%}
    {%- for name in column_names -%}
        {%- do columns.append("'" ~ name | replace("'", "''") ~ "': 'VARCHAR'") -%}
    {%- endfor -%}
    {%- do run_query(
        "select count(*) from read_csv(" ~ quoted ~ ", header = true, auto_detect = false, delim = ',', "
        ~ "quote = '\"', escape = '\"', store_rejects = true, columns = {" ~ columns | join(', ') ~ "})") -%}
    {%- set rejects = run_query("select line, error_message from reject_errors order by line limit 5") -%}
    {%- set problems = [] -%}
    {%- for row in rejects.rows -%}
        {%- do problems.append("line " ~ row[0] ~ ": " ~ row[1]) -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}
