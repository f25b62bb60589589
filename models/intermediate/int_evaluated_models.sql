{#- The incumbent and the candidates: the models every comparison is about. -#}
select
    model_id,
    model_role,
    display_name,
    provider
from {{ ref('int_models_checked') }}
where rejection_reason is null
    and model_role in ('incumbent', 'candidate')
