{#-
    One row: run_id, a digest of everything the outputs are computed from (the counts by task
    type, the models' roles, the labelled pairs per day, traffic weights, systems figures,
    rejects, settings and package version), and whether this build is a --full-refresh.
    Systems figures enter as counts, order statistics (latency p50, p95, max) and exact integer
    sums (latency in microseconds, cost in nano-USD, each row rounded on its own), never as a
    floating-point mean: a mean's last bits depend on the order rows are summed in, and rounded
    on a half they changed run_id between an incremental and a full build of the same data. A
    change to the latency or cost values that keeps every one of these figures of every model
    and region is not noticed (outputs are reused); set llm_migration_reuse_unchanged_outputs
    to false to recompute regardless. The same inputs and settings
    give the same run_id, so a scheduled refresh with nothing new reuses its outputs (and skips
    the Bayesian fit) instead of recomputing them. Floating-point figures are rounded before
    hashing: parallel sums differ in the last bits from run to run. They are rounded as scaled
    integers (round(x * 10^9), not round(x, 9)): Postgres has no round(double precision, int).
-#}
{#- A float as the text of round(x * scale), an integer on every engine. -#}
{%- set settings = llm_migration.fingerprinted_settings() | replace("'", "''") -%}
{%- set scaled_text = 'cast(cast(round(%s * %s) as ' ~ dbt.type_bigint() ~ ') as ' ~ dbt.type_string() ~ ')' -%}

with

digests as (

    select
        'counts' as part,
        {{ dbt.listagg(
            dbt.concat([
                "model_id", "'|'", "region", "'|'", "task_type", "'|'", "metric", "'|'",
                "coalesce(judge_id, '-')", "'|'",
                "coalesce(cast(is_judge_positive as " ~ dbt.type_string() ~ "), '-')", "'|'",
                "coalesce(cast(is_human_positive as " ~ dbt.type_string() ~ "), '-')", "'|'",
                "cast(n_traces as " ~ dbt.type_string() ~ ")",
            ]),
            "';'",
            "order by model_id, region, task_type, metric, judge_id, is_judge_positive, is_human_positive",
        ) }} as digest
    {# By task type: the task-type gate reads them; the per-cell counts are sums over them. #}
    from {{ ref('int_judgement_counts_by_task_type_aggregated') }}

    union all

    {# Who is the incumbent and who a candidate: the same counts under other roles are another question. #}
    select
        'models',
        {{ dbt.listagg(dbt.concat(["model_id", "'|'", "model_role"]), "';'", "order by model_id") }}
    from {{ ref('int_evaluated_models') }}

    union all

    {# The drift table's weeks: labelled pairs per judge, metric and day. #}
    select
        'labelled_pairs',
        {{ dbt.listagg(
            dbt.concat([
                "judge_id", "'|'", "metric", "'|'", "cast(pair_day as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(is_judge_positive as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(is_human_positive as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(n_pairs as " ~ dbt.type_string() ~ ")",
            ]),
            "';'",
            "order by judge_id, metric, pair_day, is_judge_positive, is_human_positive",
        ) }}
    from (
        select
            judge_id,
            metric,
            cast(coalesce(scored_at, created_at) as date) as pair_day,
            is_judge_positive,
            is_human_positive,
            count(*) as n_pairs
        from {{ ref('int_judgements_joined_to_labels') }}
        where judge_id is not null and is_human_positive is not null
        group by judge_id, metric, cast(coalesce(scored_at, created_at) as date), is_judge_positive, is_human_positive
    ) as labelled_pairs

    union all

    select
        'traffic',
        {{ dbt.listagg(
            dbt.concat(["region", "'|'", scaled_text % ('traffic_share', 1000000000)]),
            "';'",
            "order by region",
        ) }}
    from {{ ref('int_region_traffic_weights') }}

    union all

    select
        'systems',
        {{ dbt.listagg(
            dbt.concat([
                "model_id", "'|'", "region", "'|'", "cast(n_traces as " ~ dbt.type_string() ~ ")", "'|'",
                "coalesce(" ~ scaled_text % ('latency_p50_ms', 1000) ~ ", '-')", "'|'",
                "coalesce(" ~ scaled_text % ('latency_p95_ms', 1000) ~ ", '-')", "'|'",
                "coalesce(" ~ scaled_text % ('latency_max_ms', 1000) ~ ", '-')", "'|'",
                "coalesce(cast(latency_sum_us as " ~ dbt.type_string() ~ "), '-')", "'|'",
                "cast(n_with_latency as " ~ dbt.type_string() ~ ")", "'|'",
                "coalesce(cast(cost_sum_nano_usd as " ~ dbt.type_string() ~ "), '-')", "'|'",
                "cast(n_with_cost as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(n_errors as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(n_with_status as " ~ dbt.type_string() ~ ")",
            ]),
            "';'",
            "order by model_id, region",
        ) }}
    from {{ ref('int_systems_metrics_aggregated') }}

    union all

    {#
        What rejected_input_rows shows, which reuses its rows under an unchanged run_id: each
        rejected row's input, position, reason and raw row. The position too: rows re-delivered
        in another order (a re-export, a reload of a day's rows in tables mode) keep their
        content, and with row_hash alone the table kept listing the old row numbers, rows that
        the same build kept. Only rejected rows enter, so moving kept rows changes nothing.
    #}
    select
        'rejects',
        {{ dbt.concat([
            "cast(count(*) as " ~ dbt.type_string() ~ ")", "'|'",
            "coalesce(" ~ dbt.listagg("rejected_row", "','", "order by rejected_row") ~ ", '')",
        ]) }}
    from (
        {%- for input_name, model_name in [
            ('traces', 'int_traces_checked'),
            ('judge_scores', 'int_judgements_checked'),
            ('human_labels', 'int_labels_checked'),
            ('models', 'int_models_checked'),
        ] %}
        {{ "union all" if not loop.first }}
        select
            {{ dbt.concat([
                "'" ~ input_name ~ "'", "'|'",
                "cast(source_row_number as " ~ dbt.type_string() ~ ")", "'|'",
                dbt.hash(dbt.concat(["rejection_reason", "'|'", "coalesce(raw_row, '')"])),
            ]) }} as rejected_row
        from {{ ref(model_name) }}
        where rejection_reason is not null
        {% endfor %}
    ) as rejected

)

select
    {{ dbt.hash(dbt.concat([
        dbt.listagg("digest", "'#'", "order by part"),
        "'#'",
        "'" ~ settings ~ "'",
    ])) }} as run_id,
    {# Not part of run_id: a --full-refresh recomputes every output (the Python models read it). #}
    {{ 'true' if flags.FULL_REFRESH else 'false' }} as is_full_refresh,
    {# The settings run_id was computed with: a Python model checks them against its own vars. #}
    '{{ settings }}' as settings
from digests
