-- The comparison needs exactly one kept model with role incumbent. Returns a row describing the
-- problem when there are none or several.
select
    count(*) as n_incumbents,
    case
        when count(*) = 0 then 'no kept model has role incumbent: mark the model being replaced in the models input'
        else 'several models have role incumbent: keep exactly one'
    end as problem
from {{ ref('int_evaluated_models') }}
where model_role = 'incumbent'
having count(*) != 1
