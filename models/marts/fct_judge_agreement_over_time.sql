{#- The contract-enforced face of int_judge_agreement_computed (see _marts__drift.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_judge_agreement_computed')) }}
