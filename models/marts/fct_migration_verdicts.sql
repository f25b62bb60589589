{#- The contract-enforced face of int_migration_verdicts_decided (see _marts__models.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_migration_verdicts_decided')) }}
