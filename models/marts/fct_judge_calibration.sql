{#- The contract-enforced face of int_judge_calibration_summarised (see _marts__models.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_judge_calibration_summarised')) }}
