{#-
    The comparison needs exactly one kept model with role incumbent. Returns a row describing
    the problem when there are none or several; dbt reports only the row count, so the problem
    is also logged.
-#}
{%- set problem_sql -%}
select
    count(*) as n_incumbents,
    case
        when count(*) = 0 then 'no kept model has role incumbent: mark the model being replaced in the models input'
        else 'several models have role incumbent (' || {{ dbt.listagg('model_id', "', '", "order by model_id") }} || '): keep exactly one'
    end as problem
from {{ ref('int_evaluated_models') }}
where model_role = 'incumbent'
having count(*) != 1
{%- endset -%}

{%- for row in llm_migration.rows_of_built_parent(ref('int_evaluated_models'), problem_sql) -%}
    {% do log("llm_migration: " ~ row[1], info=True) %}
{%- endfor %}

{{ problem_sql }}
