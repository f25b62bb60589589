with

source as (

    select * from {{ ref('base_models') }}

),

renamed as (

    select
        source_row_number,
        row_hash,
        source_row,
        nullif(trim(model_id), '') as model_id,
        {{ llm_migration.normalise_token('role') }} as model_role,
        coalesce(nullif(trim(display_name), ''), nullif(trim(model_id), '')) as display_name,
        nullif(trim(provider), '') as provider,
        case
            when nullif(trim(model_id), '') is null then 'missing required value: model_id'
            when nullif(trim(role), '') is null then 'missing required value: role'
            when {{ llm_migration.normalise_token('role') }} not in ('incumbent', 'candidate', 'ignore')
                then {{ dbt.concat(["'role must be incumbent, candidate or ignore, got: '", "substr(role, 1, 80)"]) }}
        end as row_issue

    from source

)

select * from renamed
