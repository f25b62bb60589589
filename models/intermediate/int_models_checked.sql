{#- Every models row with the reason it is rejected (null when kept); the raw row only for rejected rows. -#}
with

models as (

    select * from {{ ref('stg_models__models') }}

),

versions as (

    select
        model_id,
        count(*) as n_rows,
        count(distinct {{ dbt.hash(dbt.concat(["coalesce(model_role, '')", "'|'", "coalesce(display_name, '')", "'|'", "coalesce(provider, '')"])) }}) as n_versions
    from models
    where row_issue is null
    group by model_id

),

ranked as (

    select
        models.*,
        {#- Counted among readable rows: a corrected row after one with a role typo is kept. -#}
        row_number() over (
            partition by models.model_id, (models.row_issue is null) order by models.source_row_number
        ) as copy_number
    from models

),

checked as (

    select
        ranked.*,
        case
            when ranked.row_issue is not null then ranked.row_issue
            when versions.n_versions > 1
                then 'model_id appears more than once with conflicting role, display_name or provider'
            when ranked.copy_number > 1 then 'exact duplicate of an earlier row for this model_id'
        end as rejection_reason
    from ranked
    left join versions
        on ranked.model_id = versions.model_id

)

select
    source_row_number,
    case
        when rejection_reason is not null then {{ llm_migration.raw_row_text('source_row') }}
    end as raw_row,
    model_id,
    model_role,
    display_name,
    provider,
    rejection_reason
from checked
