{#- The traces input as delivered: contract columns as text, source row number and raw row. -#}
{{ llm_migration.select_input('traces') }}
