-- The counts table must account for every joined row: nothing lost in the aggregations.
with

counted as (

    select sum(n_traces) as n_traces from {{ ref('int_judgement_counts_aggregated') }}

),

by_task_type as (

    select sum(n_traces) as n_traces from {{ ref('int_judgement_counts_by_task_type_aggregated') }}

),

joined as (

    select count(*) as n_rows from {{ ref('int_judgements_joined_to_labels') }}

)

select
    counted.n_traces as n_counted,
    by_task_type.n_traces as n_counted_by_task_type,
    joined.n_rows as n_joined
from counted
cross join by_task_type
cross join joined
where counted.n_traces != joined.n_rows
    or by_task_type.n_traces != joined.n_rows
