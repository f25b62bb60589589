{% macro locate_input_file(input_name) %}
    {{ return(adapter.dispatch('locate_input_file', 'llm_migration')(input_name)) }}
{% endmacro %}

{% macro default__locate_input_file(input_name) %}
    {{ exceptions.raise_compiler_error(
        "Reading input files needs DuckDB. On " ~ target.type ~ ", load the inputs into tables, "
        ~ "set var llm_migration_input_mode: tables and point the sources in "
        ~ "models/staging/*/_*__sources.yml at them.") }}
{% endmacro %}

{% macro duckdb__locate_input_file(input_name) %}
    {#-
        Finds <input_dir>/<input_name>.parquet|.csv|.jsonl (also .json, .ndjson); exactly one must
        exist. Names and extensions match in any case (traces.CSV, Traces.parquet), as exports
        from other systems write them.
    -#}
    {%- set input_dir = var('llm_migration_input_dir') | string -%}
    {%- set input_dir = input_dir[:-1] if input_dir.endswith('/') else input_dir -%}
    {%- set formats = {'parquet': 'parquet', 'csv': 'csv', 'jsonl': 'jsonl', 'json': 'jsonl', 'ndjson': 'jsonl'} -%}
    {%- if not execute -%}
        {{ return({'path': input_dir ~ '/' ~ input_name ~ '.parquet', 'format': 'parquet'}) }}
    {%- endif -%}
    {%- set found = [] -%}
    {%- set listing = run_query("select file from glob('" ~ (input_dir ~ '/*') | replace("'", "''") ~ "') order by file") -%}
    {%- for path in listing.columns[0].values() -%}
        {%- set name = path.split('/')[-1] | lower -%}
        {%- for extension, format in formats.items() if name == input_name ~ '.' ~ extension -%}
            {%- do found.append({'path': path, 'format': format}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if found | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "input '" ~ input_name ~ "': no " ~ input_name ~ ".parquet, .csv or .jsonl in folder '"
            ~ input_dir ~ "' (var llm_migration_input_dir; relative paths are read from the folder dbt runs in)") }}
    {%- elif found | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "input '" ~ input_name ~ "': several files in '" ~ input_dir ~ "' ("
            ~ found | map(attribute='path') | join(', ') ~ "); keep exactly one") }}
    {%- endif -%}
    {{ return(found[0]) }}
{% endmacro %}
