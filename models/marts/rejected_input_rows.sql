{#- Every input row that was not kept, with the reason. Kept + rejected = rows in, per input. -#}
{%- if llm_migration.reuse_current_output() %}
select * from {{ this }}
{%- else %}
{%- set inputs = [
    ('traces', 'int_traces_checked', 'trace_id'),
    ('judge_scores', 'int_judgements_checked', "trace_id, metric, judge_id"),
    ('human_labels', 'int_labels_checked', "trace_id, metric, annotator_id"),
    ('models', 'int_models_checked', 'model_id'),
] -%}
{%- set key_columns = {
    'traces': ['trace_id'],
    'judge_scores': ['trace_id', 'metric', 'judge_id'],
    'human_labels': ['trace_id', 'metric', 'annotator_id'],
    'models': ['model_id'],
} -%}
with

{% for input_name, model_name, _ in inputs %}
{{ input_name }}_rejected as (

    select
        '{{ input_name }}' as input_name,
        source_row_number,
        {%- set parts = ["'row '", "cast(source_row_number as " ~ dbt.type_string() ~ ")"] -%}
        {%- for column in key_columns[input_name] -%}
            {%- do parts.extend(["' " ~ column ~ "='", "coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), 'null')"]) -%}
        {%- endfor %}
        {{ dbt.concat(parts) }} as row_key,
        rejection_reason as reason,
        raw_row
    from {{ ref(model_name) }}
    where rejection_reason is not null

),
{% endfor %}

unioned as (

    {% for input_name, _, _ in inputs %}
    select * from {{ input_name }}_rejected
    {{ "union all" if not loop.last }}
    {% endfor %}

)

select
    input_name,
    source_row_number,
    row_key,
    reason,
    raw_row,
    fingerprint.run_id,
    cast({{ dbt.current_timestamp() }} as {{ api.Column.translate_type('timestamp') }}) as computed_at
from unioned
cross join {{ ref('int_run_fingerprint') }} as fingerprint
{%- endif %}
