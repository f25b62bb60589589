{% macro stage_verdicts(source_relation, text_column, actor_column, time_column, value_name, verdict_noun) %}
    {#-
        The parse shared by the two per-trace x metric verdict inputs: every row of
        source_relation (a base model, or a subset of its rows) with the metric normalised, the
        verdict text read as a boolean for its metric, the timestamp in UTC and row_issue naming
        the first row-level problem. text_column: the verdict text (judgement, label);
        actor_column: who gave it; time_column: when; value_name: the boolean's name;
        verdict_noun: how an unreadable text's reason names it (verdict, label).
    -#}
with

source as (

    select * from {{ source_relation }}

),

tokenised as (

    {#-
        The costly expressions once per row; everything below reads these columns. A typed input
        delivers the timestamp in <time_column>_value (and null text): it is taken as it is, not
        parsed.
    -#}
    select
        *,
        {#- Ids without the tabs and invisible spaces exports leave around them. -#}
        nullif({{ llm_migration.trim_whitespace('trace_id') }}, '') as trace_id_trimmed,
        nullif({{ llm_migration.trim_whitespace(actor_column) }}, '') as actor_trimmed,
        {{ llm_migration.normalise_metric('metric') }} as first_metric_name,
        {{ llm_migration.verdict_token(text_column) }} as verdict_token,
        coalesce({{ time_column }}_value, {{ llm_migration.parse_timestamp("nullif(trim(" ~ time_column ~ "), '')") }}) as time_utc
    from source

),

{#-
    A metric name with a tab or line break around it ("correctness\t" from a spreadsheet export)
    is read once more with all whitespace trimmed; names read the first time pay nothing for it.
-#}
named as (

    select
        *,
        case
            when {{ llm_migration.is_one_of('first_metric_name', llm_migration.metric_names()) }}
                then first_metric_name
            else {{ llm_migration.normalise_metric(llm_migration.trim_whitespace('metric')) }}
        end as metric_name
    from tokenised

),

first_reading as (

    select
        *,
        {{ llm_migration.verdict_from_token('verdict_token', 'metric_name') }} as first_verdict
    from named

),

{#-
    trim() removes spaces only, so a text with a tab or line break around the verdict ("correct\n"
    from a judge's raw output) was not read above. Those rows, and only they, are read once more
    with all whitespace trimmed (trim_whitespace costs about 1 s per 16M rows, so the rows that
    were read pay nothing for it).
-#}
second_reading as (

    select
        *,
        case
            when first_verdict is null
                then {{ llm_migration.normalise_token(llm_migration.trim_whitespace(
                    llm_migration.extract_assessment(text_column))) }}
        end as retry_token
    from first_reading

),

parsed as (

    select
        *,
        coalesce(
            first_verdict,
            {{ llm_migration.verdict_from_token('retry_token', 'metric_name') }}
        ) as is_verdict_positive
    from second_reading

),

renamed as (

    select
        source_row_number,
        row_hash,
        source_row,
        trace_id_trimmed as trace_id,
        metric_name as metric,
        actor_trimmed as {{ actor_column }},
        {{ text_column }} as {{ text_column }}_text,
        is_verdict_positive as {{ value_name }},
        time_utc as {{ time_column }},
        case
            when trace_id_trimmed is null then 'missing required value: trace_id'
            when nullif(trim(metric), '') is null then 'missing required value: metric'
            when actor_trimmed is null then 'missing required value: {{ actor_column }}'
            when not {{ llm_migration.is_one_of('metric_name', llm_migration.metric_names()) }}
                then {{ dbt.concat(["'unknown metric: '", "substr(metric, 1, 80)", "' (configured: " ~ llm_migration.metric_names() | join(', ') ~ ")'"]) }}
            when nullif(trim({{ text_column }}), '') is null then 'missing required value: {{ text_column }}'
            when is_verdict_positive is null
                and lower({{ text_column }}) like '%<assessment>%</assessment>%<assessment>%</assessment>%'
                then {{ dbt.concat(["'" ~ text_column ~ " holds several <assessment> tags that do not give one '", "metric_name", "' " ~ verdict_noun ~ ": '", "substr(" ~ text_column ~ ", 1, 80)"]) }}
            when is_verdict_positive is null
                then {{ dbt.concat(["'" ~ text_column ~ " cannot be read as a '", "metric_name", "' " ~ verdict_noun ~ ": '", "substr(" ~ text_column ~ ", 1, 80)"]) }}
            when time_utc is null and {{ llm_migration.zone_abbreviation(time_column) }} is not null
                then {{ dbt.concat(["'" ~ time_column ~ " names its time zone by an abbreviation that several zones share or DuckDB misreads ('", llm_migration.zone_abbreviation(time_column), "'): write an offset (+01:00) or a zone name (Europe/London): '", "substr(" ~ time_column ~ ", 1, 80)"]) }}
            when nullif(trim({{ time_column }}), '') is not null and time_utc is null
                and not {{ llm_migration.is_missing_marker(time_column) }}
                then {{ dbt.concat(["'" ~ time_column ~ " is not a timestamp: '", "substr(" ~ time_column ~ ", 1, 80)"]) }}
            when time_utc is not null and not {{ llm_migration.is_plausible_timestamp('time_utc', earliest='1970-01-01') }}
                then {{ dbt.concat(["'" ~ time_column ~ " is outside 1970-2199: '", "cast(time_utc as " ~ dbt.type_string() ~ ")"]) }}
        end as row_issue

    from parsed

)

select * from renamed
{% endmacro %}

{% macro stage_judge_scores(source_relation) %}
    {#-
        The body of stg_judge_scores__judgements, and what int_judgements_checked parses on a
        refresh (the rows of the traces in scope, picked from base_judge_scores).
    -#}
    {{ return(llm_migration.stage_verdicts(
        source_relation, 'judgement', 'judge_id', 'scored_at', 'is_judge_positive', 'verdict')) }}
{% endmacro %}

{% macro stage_human_labels(source_relation) %}
    {#-
        The body of stg_human_labels__labels, and what int_labels_checked parses on a refresh
        (the rows of the traces in scope, picked from base_human_labels).
    -#}
    {{ return(llm_migration.stage_verdicts(
        source_relation, 'label', 'annotator_id', 'labeled_at', 'is_human_positive', 'label')) }}
{% endmacro %}
