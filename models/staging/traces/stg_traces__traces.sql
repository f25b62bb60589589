{#- Every traces row typed and normalised, with row_issue; the parse is the macro stage_traces, which int_traces_checked also runs on the rows in scope of a refresh. -#}
{{ llm_migration.stage_traces(ref('base_traces')) }}
