{% macro assert_input_not_shrunk(input_relation, input_name) %}
    {#-
        Incremental refreshes assume inputs grow or are corrected in place: a row that vanished
        from an input would stay in the tables. Stop with a clear message instead.
    -#}
    {%- if execute and is_incremental() -%}
        {%- set result = run_query(
            "select (select count(*) from " ~ this ~ ") as n_built, (select count(*) from " ~ input_relation ~ ") as n_input") -%}
        {%- if result.rows[0][0] > result.rows[0][1] -%}
            {{ exceptions.raise_compiler_error(
                "input '" ~ input_name ~ "' now has " ~ result.rows[0][1] ~ " rows, fewer than the "
                ~ result.rows[0][0] ~ " already built into " ~ this ~ ". Incremental refreshes need "
                ~ "inputs that only grow or are corrected in place; rebuild with `dbt build --full-refresh`.") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro changed_keys(rows_cte, key_column) %}
    {#-
        Keys of input rows not already built unchanged at the same position, and the keys built
        at those positions before: a row corrected in place may now belong to another trace, and
        the trace it left must be checked again without it (its old copy is deleted after the
        build by drop_superseded_rows). Positions are unique per input and inputs only grow or
        are corrected in place, so one join on the row number finds both.
    -#}
    select distinct case when sides.side = 1 then changed.new_key else changed.old_key end as {{ key_column }}
    from (
        select
            candidate.{{ key_column }} as new_key,
            existing.{{ key_column }} as old_key
        from {{ rows_cte }} as candidate
        left join {{ this }} as existing
            on existing.source_row_number = candidate.source_row_number
        where case
            when existing.row_hash = candidate.row_hash
                and existing.{{ key_column }} = candidate.{{ key_column }} then 0
            else 1
        end = 1
    ) as changed
    cross join (select 1 as side union all select 2 as side) as sides
    where sides.side = 1 or changed.old_key is not null
{% endmacro %}

{% macro drop_superseded_rows() %}
    {#-
        Post-hook of the checked models. A row corrected in place into another trace is
        re-inserted under its new key, but delete+insert deletes only keys the new rows carry:
        its old copy would stay, under the key of the trace it left. Delete every row older
        than this build at a position this build wrote. Skipped when every row comes from one
        build (a first build or a full refresh), where there is nothing to supersede.
    -#}
    {%- if execute and is_incremental() -%}
        {%- set span = run_query("select min(refreshed_at), max(refreshed_at) from " ~ this).rows[0] -%}
        {%- if span[0] is not none and span[0] < span[1] -%}
            {%- set latest = "cast('" ~ span[1] ~ "' as " ~ api.Column.translate_type('timestamp') ~ ")" -%}
    delete from {{ this }}
    where refreshed_at < {{ latest }}
        and source_row_number in (
            select source_row_number from {{ this }} where refreshed_at = {{ latest }}
        )
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro build_timestamp() %}
    {#-
        When this model's rows were computed; downstream incremental models compare it with their
        watermark, and drop_superseded_rows takes the latest one for this build's rows. Both need
        every build to stamp later than the builds before it, which a wall clock does not promise:
        a clock set back (the end of summer time in a session not pinned to UTC, an NTP step, two
        runners with skewed clocks) stamped a refresh an hour "earlier", the verdicts of the
        traces it refreshed were never re-checked, and rows it moved were dropped as superseded.
        So a refresh stamps the clock's time or, if that is not later, one second past the
        latest stamp already in the table.
    -#}
    {%- set now = "cast(" ~ dbt.current_timestamp() ~ " as " ~ api.Column.translate_type('timestamp') ~ ")" -%}
    {%- if is_incremental() -%}
    (
        select case
            when max(refreshed_at) is null or {{ now }} > max(refreshed_at) then {{ now }}
            else {{ dbt.dateadd('second', 1, 'max(refreshed_at)') }}
        end
        from {{ this }}
    )
    {%- else -%}
    {{ now }}
    {%- endif -%}
{% endmacro %}

{% macro watermark(column) %}
    {#- The latest upstream refresh this incremental model has already processed. -#}
    {%- if is_incremental() -%}
        (select coalesce(max({{ column }}), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }})) from {{ this }})
    {%- else -%}
        cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }})
    {%- endif -%}
{% endmacro %}

{% macro refresh_key(trace_id_column) %}
    {{ return(adapter.dispatch('refresh_key', 'llm_migration')(trace_id_column)) }}
{% endmacro %}

{% macro default__refresh_key(trace_id_column) %}
    {#-
        The incremental unique key of the checked input models: every row of one trace shares it,
        so a refresh deletes and re-inserts a trace's rows together (null trace ids share one).
    -#}
    coalesce({{ trace_id_column }}, '')
{% endmacro %}

{% macro duckdb__refresh_key(trace_id_column) %}
    {#-
        DuckDB: the trace id's 64-bit digest, an integer instead of a second copy of the id
        (writing that text cost about 1.5 s per 16M verdict rows). Exact all the same: a refresh
        takes every delivered row whose key is in scope, so two traces whose digests collide are
        only refreshed together, never mixed or lost.
    -#}
    hash({{ trace_id_column }})
{% endmacro %}

{% macro parse_rows_in_scope(base, stage) %}
    {#-
        The incremental branch of the checked input models: the rows of the keys in scope
        (CTEs delivered_keys, with source_row_number and refresh_key, and keys_to_refresh), picked
        from the base relation by their row number (unique per input) and parsed by the staging
        model's own macro, with their refresh_key. A refresh thus parses the new rows, not all
        of them: a filter on the staging view would run after its parse.
    -#}
    {%- set base_rows_in_scope -%}
    (
        select * from {{ base }}
        where source_row_number in (
            select source_row_number
            from delivered_keys
            where refresh_key in (select refresh_key from keys_to_refresh)
        )
    ) as base_rows_in_scope
    {%- endset %}
    select
        staged.*,
        {{ llm_migration.refresh_key('staged.trace_id') }} as refresh_key
    from (
        {{ stage(base_rows_in_scope) }}
    ) as staged
{% endmacro %}

{% macro parse_settings() %}
    {#-
        Digest of what decides how an input row is read: the metric names, their aliases, the
        verdict spellings, and the version of the reading itself. Stored on every checked
        verdict and label row, so an incremental refresh can tell that rows were read under
        other settings.

        reader: raise it in a release that reads input rows differently (ids, numbers, times,
        verdict texts): a refresh of a warehouse built before then stops and asks for one full
        refresh, instead of keeping the rows of unchanged traces as the old release read them.
        2 (0.3.0): ids trimmed of tabs and invisible spaces, whole floats read as integers and
        NaN as no value, DECIMALs without trailing zeros, zone names, unambiguous abbreviations
        and times to the minute before their zone read.
    -#}
    {%- set settings = {
        'reader': 2,
        'metrics': llm_migration.metric_names() | sort,
        'aliases': var('llm_migration_metric_aliases', {}) or {},
        'spellings': var('llm_migration_label_spellings'),
    } -%}
    {{ return(local_md5(tojson(settings, sort_keys=true))) }}
{% endmacro %}

{% macro assert_parse_settings_unchanged(input_name) %}
    {#-
        A refresh re-reads only the traces with new or changed rows: rows read under other
        spellings, aliases or metric names would keep their old reading (a verdict spelling
        added to rescue rejected rows would rescue none of them). Stop with a clear message.
    -#}
    {%- if execute and is_incremental() -%}
        {%- set built = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- if 'parse_settings' not in built -%}
            {{ exceptions.raise_compiler_error(
                this ~ " was built by an earlier version of llm_migration (without "
                ~ "parse_settings): rebuild it once with `dbt build --full-refresh`.") }}
        {%- endif -%}
        {%- set result = run_query(
            "select min(parse_settings), max(parse_settings) from " ~ this) -%}
        {%- set current = llm_migration.parse_settings() -%}
        {%- if result.rows[0] | reject('none') | reject('equalto', current) | list -%}
            {{ exceptions.raise_compiler_error(
                "the rows of input '" ~ input_name ~ "' in " ~ this ~ " were read with other "
                ~ "verdict spellings, metric names or metric aliases (vars "
                ~ "llm_migration_label_spellings, llm_migration_metrics, "
                ~ "llm_migration_metric_aliases) than this build's, or by an earlier version of "
                ~ "llm_migration that read input rows differently; a refresh re-reads only "
                ~ "changed traces, so rebuild them all with `dbt build --full-refresh`.") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
