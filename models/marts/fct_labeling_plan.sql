{#- The contract-enforced face of int_labeling_plan_computed (see _marts__models.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_labeling_plan_computed')) }}
