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

{%- if execute -%}
    {%- set models = ref('int_evaluated_models') -%}
    {%- if adapter.get_relation(models.database, models.schema, models.identifier) is not none -%}
        {%- for row in run_query(problem_sql).rows -%}
            {% do log("llm_migration: " ~ row[1], info=True) %}
        {%- endfor -%}
    {%- endif -%}
{%- endif %}

{{ problem_sql }}
