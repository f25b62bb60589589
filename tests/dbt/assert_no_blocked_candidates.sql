{#-
    The CI switch: returns every candidate whose verdict is block (and, with
    llm_migration_fail_on_needs_more_labels, needs_more_labels). Severity comes from
    llm_migration_gate_severity: warn (default) for scheduled refreshes, error in a CI job so
    `dbt build` exits non-zero. dbt reports only how many rows a test returned, so the
    candidates it returns are also logged with their verdict summaries.
-#}
{{ config(severity=llm_migration.gate_severity()) }}

{%- set condition -%}
verdict = 'block'
    {%- if llm_migration.fail_on_needs_more_labels() %}
    or verdict = 'needs_more_labels'
    {%- endif %}
{%- endset -%}

{%- set verdicts = ref('fct_migration_verdicts') -%}
{%- for row in llm_migration.rows_of_built_parent(verdicts, 'select candidate_model_id, verdict, summary from ' ~ verdicts ~ ' where ' ~ condition ~ ' order by candidate_model_id') -%}
    {% do log("llm_migration: " ~ row[0] ~ " is " ~ row[1] ~ ": " ~ row[2], info=True) %}
{%- endfor %}

select
    candidate_model_id,
    verdict,
    summary
from {{ ref('fct_migration_verdicts') }}
where {{ condition }}
