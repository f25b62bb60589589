{#- The parse lives in the macro stage_judge_scores, shared with the checked model's refresh. -#}
{{ llm_migration.stage_judge_scores(ref('base_judge_scores')) }}
