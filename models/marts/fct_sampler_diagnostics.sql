{#- The contract-enforced face of int_sampler_diagnostics_computed (see _marts__models.yml for the columns). -#}
{{ llm_migration.select_contract_columns(ref('int_sampler_diagnostics_computed')) }}
