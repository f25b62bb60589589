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

{%- if execute -%}
    {%- set models = ref('int_models_checked') -%}
    {%- if adapter.get_relation(models.database, models.schema, models.identifier) is not none -%}
        {%- for row in run_query(rejected_sql ~ ' order by source_row_number').rows -%}
            {% do log("llm_migration: models row " ~ row[0] ~ " (model_id " ~ row[1] ~ ") was rejected, so that model is in no verdict: " ~ row[2], info=True) %}
        {%- endfor -%}
    {%- endif -%}
{%- endif %}

{{ rejected_sql }}
