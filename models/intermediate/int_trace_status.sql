{#-
    One row per trace_id seen in the traces input: kept or not. Judge scores and labels check
    against it. A view: its readers aggregate it within their own query (cheaper than a table of
    every trace_id at volume), and a refresh always sees int_traces_checked as it is now.
-#}
{{ config(materialized='view') }}
{{ llm_migration.trace_status(ref('int_traces_checked')) }}
