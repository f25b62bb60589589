{#-
    One row per trace_id seen in the traces input: kept or not. Judge scores and labels check
    against it. A view: its readers aggregate it within their own query (cheaper than a table of
    every trace_id at volume), and a refresh always sees int_traces_checked as it is now.
-#}
{{ config(materialized='view') }}
select
    trace_id,
    max(case when rejection_reason is null then 1 else 0 end) = 1 as is_kept
from {{ ref('int_traces_checked') }}
where trace_id is not null
group by trace_id
