{#-
    The CI switch: returns every candidate whose verdict is block (and, with
    llm_migration_fail_on_needs_more_labels, needs_more_labels). Severity comes from
    llm_migration_gate_severity: warn (default) for scheduled refreshes, error in a CI job so
    `dbt build` exits non-zero.
-#}
{{ config(severity=var('llm_migration_gate_severity')) }}

select
    candidate_model_id,
    verdict,
    summary
from {{ ref('fct_migration_verdicts') }}
where verdict = 'block'
    {%- if var('llm_migration_fail_on_needs_more_labels') %}
    or verdict = 'needs_more_labels'
    {%- endif %}
