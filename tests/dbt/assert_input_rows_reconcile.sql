-- For every input, rows delivered = rows kept + rows in rejected_input_rows. Returns the inputs
-- where that fails.
with

delivered as (

    select 'traces' as input_name, count(*) as n_rows from {{ ref('base_traces') }}
    union all
    select 'judge_scores', count(*) from {{ ref('base_judge_scores') }}
    union all
    select 'human_labels', count(*) from {{ ref('base_human_labels') }}
    union all
    select 'models', count(*) from {{ ref('base_models') }}

),

kept as (

    select 'traces' as input_name, count(*) as n_rows from {{ ref('int_traces_checked') }} where rejection_reason is null
    union all
    select 'judge_scores', count(*) from {{ ref('int_judgements_checked') }} where rejection_reason is null
    union all
    select 'human_labels', count(*) from {{ ref('int_labels_checked') }} where rejection_reason is null
    union all
    select 'models', count(*) from {{ ref('int_models_checked') }} where rejection_reason is null

),

rejected as (

    select input_name, count(*) as n_rows
    from {{ ref('rejected_input_rows') }}
    group by input_name

)

select
    delivered.input_name,
    delivered.n_rows as n_delivered,
    kept.n_rows as n_kept,
    coalesce(rejected.n_rows, 0) as n_rejected
from delivered
inner join kept
    on delivered.input_name = kept.input_name
left join rejected
    on delivered.input_name = rejected.input_name
where delivered.n_rows != kept.n_rows + coalesce(rejected.n_rows, 0)
