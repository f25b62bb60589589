{% macro read_input_file(path, format) %}
    {{ return(adapter.dispatch('read_input_file', 'llm_migration')(path, format)) }}
{% endmacro %}

{% macro default__read_input_file(path, format) %}
    {{ exceptions.raise_compiler_error("Reading input files needs DuckDB; use llm_migration_input_mode: tables on " ~ target.type) }}
{% endmacro %}

{% macro duckdb__read_input_file(path, format) %}
    {#-
        CSV is read as text so the raw row is kept exactly as written; typing is staging's job.
        comment = '': no comment character, else the sniffer may take '#' for one when many rows
        begin with it (ids like #123) and skip those rows without a word.
    -#}
    {%- set quoted = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- if format == 'parquet' -%}
        read_parquet({{ quoted }})
    {%- elif format == 'csv' -%}
        read_csv({{ quoted }}, header = true, all_varchar = true, comment = '')
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
        {#- A JSON pointer (/key, ~ and / escaped): a JSONPath '$."key"' broke on a key with a double quote. -#}
        {%- set pointer = '/' ~ key | replace('~', '~0') | replace('/', '~1') -%}
        {%- do extracted.append("json ->> '" ~ pointer | replace("'", "''") ~ "' as " ~ llm_migration.quote_column(key)) -%}
    {%- endfor -%}
    (select {{ extracted | join(', ') }} from read_ndjson_objects({{ quoted }}))
{% endmacro %}

{% macro jsonl_keys(path, input_name) %}
    {#-
        Every key of a JSON-lines file, in order of first appearance. read_json's schema comes
        from a sample of rows, so a key first seen beyond it (a field added in a later version
        of the logger) was silently dropped, and two spellings differing in case were renamed
        (judgement_1) and read as nulls. Stops with an error naming the records that are not
        objects (they made DuckDB report the file as empty), keys that differ only in case and
        keys a record names more than once, and the records that are not valid JSON: DuckDB's
        own error for those named the line after the bad one ("line 4" for line 3), so they are
        read as nulls here (ignore_errors) to be named right; the input itself is read without
        ignore_errors once this check passed.
        Records are counted as the input's row numbers are (non-empty lines, from 1).
    -#}
    {%- set quoted = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- set where = "input '" ~ input_name ~ "' (" ~ path ~ ")" -%}
    {%- set records = "(select row_number() over () as record, json from read_ndjson_objects(" ~ quoted ~ ", ignore_errors = true))" -%}
    {%- set not_objects = run_query(
        "select record, json_type(json) from " ~ records ~ " where json is null or json_type(json) <> 'OBJECT' order by record limit 5") -%}
    {%- if not_objects.rows | length > 0 -%}
        {%- set listed = [] -%}
        {%- for row in not_objects.rows -%}
            {%- do listed.append("record " ~ row[0] ~ (" is not valid JSON" if row[1] is none else " is " ~ (row[1] | lower))) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            where ~ ": every line of a JSON lines file must be one object ({\"trace_id\": ...}); "
            ~ listed | join(', ') ~ " (records counted as non-empty lines, from 1)") }}
    {%- endif -%}
    {%- set found = run_query(
        "select key from (select unnest(json_keys(json)) as key, record from " ~ records ~ ") "
        ~ "group by key order by min(record), key") -%}
    {#- An empty key ("": ...) can name no column: it is left out. -#}
    {%- set keys = found.columns[0].values() | reject('equalto', '') | list -%}
    {#-
        A record naming a key twice ({"label": "yes", ..., "label": "no"}) was read with its
        first value, where Python's json and JavaScript take the last: which one is meant is
        unknowable. Found per record (its keys against their distinct list), so a valid file
        pays no grouping of every key of every record; the keys are named on the error path.
    -#}
    {%- set repeated_in = run_query(
        "select min(record) from " ~ records
        ~ " where len(json_keys(json)) > len(list_distinct(json_keys(json)))").rows[0][0] -%}
    {%- if repeated_in is not none -%}
        {%- set repeated = run_query(
            "select key from (select unnest(json_keys(json)) as key from " ~ records
            ~ " where record = " ~ repeated_in ~ ") group by key having count(*) > 1 order by key") -%}
        {{ exceptions.raise_compiler_error(
            where ~ ": a record names the same key more than once ("
            ~ repeated.columns[0].values() | join(', ')
            ~ "; first in record " ~ repeated_in ~ ", records counted as non-empty lines, from 1). "
            ~ "JSON readers disagree on which value counts, so keep one.") }}
    {%- endif -%}
    {%- set by_lower = {} -%}
    {%- for key in keys -%}
        {%- do by_lower.setdefault(key | lower, []).append(key) -%}
    {%- endfor -%}
    {%- set clashes = [] -%}
    {%- for spellings in by_lower.values() if spellings | length > 1 -%}
        {%- do clashes.append(spellings | join(' and ')) -%}
    {%- endfor -%}
    {%- if clashes -%}
        {{ exceptions.raise_compiler_error(
            where ~ ": keys that differ only in case: " ~ clashes | join('; ')
            ~ ". Columns are matched without regard to case, so use one spelling per key.") }}
    {%- endif -%}
    {{ return(keys) }}
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

{% macro csv_header_mismatch(path, n_fields) %}
    {#-
        When a CSV file's first line names another number of fields than its rows hold, DuckDB's
        sniffer skips that line and takes the first data row for the header, so the columns
        "found" are data values. Returns a sentence saying so (empty when the counts agree).
        Called on the error path only; it reads the first line alone.
    -#}
    {%- set quoted = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- set first = run_query(
        "select line from read_csv(" ~ quoted ~ ", header = false, auto_detect = false, "
        ~ "delim = chr(1), quote = '', escape = '', strict_mode = false, "
        ~ "columns = {'line': 'VARCHAR'}) limit 1") -%}
    {%- if first.rows | length == 0 or first.rows[0][0] is none -%}
        {{ return('') }}
    {%- endif -%}
    {#- Split on the delimiter DuckDB sniffed (read_input_file does not fix one): a ';' file
        that merely lacks a column was told its header "names 1 comma-separated fields". -#}
    {%- set sniffed = run_query("select Delimiter from sniff_csv(" ~ quoted ~ ")") -%}
    {%- set delim = sniffed.rows[0][0] if sniffed.rows | length > 0 and sniffed.rows[0][0] else ',' -%}
    {%- set line = first.rows[0][0] | replace('\r', '') -%}
    {%- set n_names = line.split(delim) | length -%}
    {%- if n_names == n_fields -%}
        {{ return('') }}
    {%- endif -%}
    {%- set kind = 'comma-separated' if delim == ',' else "'" ~ delim ~ "'-separated" -%}
    {{ return(". The first line (" ~ line[:200] ~ ") names " ~ n_names ~ " " ~ kind ~ " "
        ~ "fields but the rows hold " ~ n_fields ~ ", so it was not read as the header and the "
        ~ "names found are the values of a data row: give every field a name in the first line") }}
{% endmacro %}
