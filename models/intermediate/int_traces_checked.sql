{#-
    Every traces row with the reason it is rejected (null when kept).

    Incremental by trace (refresh_key, see the macro refresh_key): a refresh recomputes only the
    trace_ids that have a new or changed input row, or whose model's row in the models input
    changed; every row of such a trace_id is recomputed together, so duplicate checks see all
    copies, and only those rows are parsed (macro stage_traces). refreshed_at tells downstream
    models which rows changed.

    The duplicate checks aggregate the narrow key columns into the few trace_ids that occur more
    than once and join that back, instead of a window over every row; the content of copies is
    compared only for those trace_ids; the raw row is serialised only for rejected rows.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='refresh_key',
    on_schema_change='fail',
    post_hook="{{ llm_migration.drop_superseded_rows() }}",
) }}
{{ llm_migration.assert_input_not_shrunk(ref('stg_traces__traces'), 'traces') }}
{#- Outside the incremental branch, so that dbt sees the dependency when it parses the model. -#}
{%- set base_traces = ref('base_traces') %}

with

{#-
    Kept models, and model_ids whose every models row was rejected (a role typo): their traces
    say so rather than "not in the models input". The fingerprint covers both, so a refresh
    re-checks a model's traces when its row is fixed or breaks.
#}
models as (

    select
        model_id,
        {{ dbt.hash(dbt.concat(["model_id", "'|'", "coalesce(model_role, '')"])) }} as model_fingerprint,
        cast(null as {{ dbt.type_string() }}) as model_rejection_reason
    from {{ ref('int_models_checked') }}
    where rejection_reason is null

    union all

    select
        model_id,
        {{ dbt.hash(dbt.concat(["model_id", "'|rejected|'", "min(rejection_reason)"])) }} as model_fingerprint,
        min(rejection_reason) as model_rejection_reason
    from {{ ref('int_models_checked') }}
    where rejection_reason is not null
        and model_id is not null
        and model_id not in (
            select model_id from {{ ref('int_models_checked') }}
            where rejection_reason is null
        )
    group by model_id

),

{% if is_incremental() %}
delivered_keys as (

    select
        {{ llm_migration.refresh_key('trace_id') }} as refresh_key,
        row_hash,
        source_row_number
    from {{ ref('stg_traces__traces') }}

),

keys_to_refresh as (

    {{ llm_migration.changed_keys('delivered_keys', 'refresh_key') }}
    union
    select existing.refresh_key
    from {{ this }} as existing
    left join models
        on existing.model_id = models.model_id
    where coalesce(existing.model_fingerprint, '') != coalesce(models.model_fingerprint, '')

),

traces_in_scope as (

    {{ llm_migration.parse_rows_in_scope(base_traces, llm_migration.stage_traces) }}

),
{% else %}
traces_in_scope as (

    select
        *,
        {{ llm_migration.refresh_key('trace_id') }} as refresh_key
    from {{ ref('stg_traces__traces') }}

),
{% endif %}

{#-
    Keys are refreshed whole, so aggregating the rows in scope per trace_id gives the same result
    for their keys as aggregating every delivered row, and a refresh reads only those. A null
    trace_id only occurs in rows with a row_issue, which decides their reason, so the joins below
    may skip them.
-#}
repeated_keys as (

    {#- first_source_row_number: the first readable copy, so a valid copy after an unreadable
        one is kept, not called its duplicate. -#}
    {{ llm_migration.repeated_keys(
        'traces_in_scope',
        ['trace_id'],
        ['min(case when row_issue is null then source_row_number end) as first_source_row_number'],
    ) }}

),

conflicting_keys as (

    select copies.trace_id
    from (
        select
            trace_id,
            {{ dbt.hash(dbt.concat([
                "coalesce(model_id, '')", "'|'",
                "coalesce(region, '')", "'|'",
                "coalesce(cast(created_at as " ~ dbt.type_string() ~ "), '')", "'|'",
                "coalesce(item_id, '')", "'|'",
                "coalesce(task_type, '')", "'|'",
                "coalesce(cast(latency_ms as " ~ dbt.type_string() ~ "), '')", "'|'",
                "coalesce(cast(input_tokens as " ~ dbt.type_string() ~ "), '')", "'|'",
                "coalesce(cast(output_tokens as " ~ dbt.type_string() ~ "), '')", "'|'",
                "coalesce(cast(cost_usd as " ~ dbt.type_string() ~ "), '')", "'|'",
                "coalesce(status, '')",
            ])) }} as content_hash
        from traces_in_scope
        where row_issue is null
            and trace_id in (select trace_id from repeated_keys)
    ) as copies
    group by copies.trace_id
    having count(distinct copies.content_hash) > 1

),

checked as (

    select
        traces_in_scope.*,
        models.model_fingerprint,
        case
            when traces_in_scope.row_issue is not null then traces_in_scope.row_issue
            when models.model_id is null
                then {{ dbt.concat(["'unknown model_id: '", "traces_in_scope.model_id", "' (not in the models input)'"]) }}
            when models.model_rejection_reason is not null
                then {{ dbt.concat(["'its models row was rejected: '", "models.model_rejection_reason"]) }}
            when conflicting_keys.trace_id is not null
                then 'trace_id appears more than once with conflicting content'
            when traces_in_scope.source_row_number > repeated_keys.first_source_row_number
                then 'exact duplicate of an earlier row for this trace_id'
        end as rejection_reason
    from traces_in_scope
    left join models
        on traces_in_scope.model_id = models.model_id
    left join repeated_keys
        on traces_in_scope.trace_id = repeated_keys.trace_id
    left join conflicting_keys
        on traces_in_scope.trace_id = conflicting_keys.trace_id

)

select
    checked.refresh_key,
    checked.source_row_number,
    checked.row_hash,
    case
        when checked.rejection_reason is not null then {{ llm_migration.raw_row_text('checked.source_row') }}
    end as raw_row,
    checked.trace_id,
    checked.model_id,
    checked.region,
    checked.created_at,
    checked.item_id,
    checked.task_type,
    checked.latency_ms,
    checked.input_tokens,
    checked.output_tokens,
    checked.cost_usd,
    checked.status,
    checked.is_error,
    checked.model_fingerprint,
    checked.rejection_reason,
    {#-
        The trace id this row's input position held before, when a refresh finds another there
        (a trace id corrected in place, or rows shifted by a removal): that trace may be gone,
        and the checked verdict and label models re-check its rows. Null on a full build.
        Carried over when the row is rewritten again: if a checked verdict model failed in the
        build that found the replacement, its next refresh must still see the old id (a
        refresh that then changed the row again left the vanished trace's verdicts kept).
        Re-checking a trace's rows once more is harmless.
    #}
    {%- if is_incremental() %}
    case
        when previous.trace_id is not null
            and (checked.trace_id is null or previous.trace_id != checked.trace_id)
            then previous.trace_id
        when previous.replaced_trace_id is not null
            and (checked.trace_id is null or previous.replaced_trace_id != checked.trace_id)
            then previous.replaced_trace_id
    end as replaced_trace_id,
    {%- else %}
    cast(null as {{ dbt.type_string() }}) as replaced_trace_id,
    {%- endif %}
    {{ llm_migration.build_timestamp() }} as refreshed_at
from checked
{%- if is_incremental() %}
left join {{ this }} as previous
    on previous.source_row_number = checked.source_row_number
{%- endif %}
