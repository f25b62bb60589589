{#- The contract-enforced face of int_quality_posteriors_summarised (see _marts__models.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_quality_posteriors_summarised')) }}
