{#- The contract-enforced face of int_gate_results_evaluated (see _marts__models.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_gate_results_evaluated')) }}
