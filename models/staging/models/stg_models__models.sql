with

source as (

    select * from {{ ref('base_models') }}

),

trimmed as (

    {#- Read once: the id and the role without the tabs and invisible spaces around them. -#}
    select
        *,
        nullif({{ llm_migration.trim_whitespace('model_id') }}, '') as model_id_trimmed,
        {{ llm_migration.trim_whitespace('role') }} as role_trimmed
    from source

),

renamed as (

    select
        source_row_number,
        row_hash,
        source_row,
        model_id_trimmed as model_id,
        {{ llm_migration.normalise_token('role_trimmed') }} as model_role,
        coalesce(nullif({{ llm_migration.trim_whitespace('display_name') }}, ''), model_id_trimmed) as display_name,
        nullif({{ llm_migration.trim_whitespace('provider') }}, '') as provider,
        case
            when model_id_trimmed is null then 'missing required value: model_id'
            when nullif(role_trimmed, '') is null then 'missing required value: role'
            when {{ llm_migration.normalise_token('role_trimmed') }} not in ('incumbent', 'candidate', 'ignore')
                then {{ dbt.concat(["'role must be incumbent, candidate or ignore, got: '", "substr(role, 1, 80)"]) }}
        end as row_issue

    from trimmed

)

select * from renamed
