{#- The contract-enforced face of int_model_comparisons_computed (see _marts__models.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_model_comparisons_computed')) }}
