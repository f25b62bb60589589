{#-
    Every row of the models input is configuration: a rejected one (a role typo such as
    'candiate', a conflicting copy) takes its model out of every verdict while the build goes
    on. Returns and logs those rows. Severity follows llm_migration_gate_severity, like the CI
    switch: a CI job that stops on a blocked candidate also stops on one that was never
    evaluated because its row was rejected.
-#}
{{ config(severity=llm_migration.gate_severity()) }}

{%- set rejected_sql -%}
select
    source_row_number,
    model_id,
    rejection_reason
from {{ ref('int_models_checked') }}
where rejection_reason is not null
{%- endset -%}

{%- for row in llm_migration.rows_of_built_parent(ref('int_models_checked'), rejected_sql ~ ' order by source_row_number') -%}
    {% do log("llm_migration: models row " ~ row[0] ~ " (model_id " ~ row[1] ~ ") was rejected, so that model is in no verdict: " ~ row[2], info=True) %}
{%- endfor %}

{{ rejected_sql }}
