{#- The parse lives in the macro stage_human_labels, shared with the checked model's refresh. -#}
{{ llm_migration.stage_human_labels(ref('base_human_labels')) }}
