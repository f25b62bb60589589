{#-
    Every row of the models input is configuration: a rejected one (a role typo such as
    'candiate', a conflicting copy) takes its model out of every verdict while the build goes
    on. Returns and logs those rows; not an exact copy of an earlier row (the first readable
    copy decides, and the copy is listed in rejected_input_rows). A rejected row beside a kept
    one (a typo next to the corrected row) is still returned: which row was meant is for the
    user to say. Severity follows llm_migration_gate_severity, like the CI switch: a CI job that stops on a blocked candidate also stops on one that was never
    evaluated because its row was rejected.
-#}
{{ config(severity=llm_migration.gate_severity()) }}

{%- set rejected_sql -%}
select
    checked.source_row_number,
    checked.model_id,
    checked.rejection_reason,
    exists (
        select 1
        from {{ ref('int_models_checked') }} as kept
        where kept.model_id = checked.model_id and kept.rejection_reason is null
    ) as model_kept
from {{ ref('int_models_checked') }} as checked
where checked.rejection_reason is not null
    and checked.rejection_reason <> 'exact duplicate of an earlier row for this model_id'
{%- endset -%}

{%- for row in llm_migration.rows_of_built_parent(ref('int_models_checked'), rejected_sql ~ ' order by source_row_number') -%}
    {% do log("llm_migration: models row " ~ row[0] ~ " (model_id " ~ row[1] ~ ") was rejected, "
        ~ ("its model is evaluated on another, kept row: " if row[3] else "so that model is in no verdict: ") ~ row[2], info=True) %}
{%- endfor %}

{{ rejected_sql }}
