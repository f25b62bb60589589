with

source as (

    select * from {{ ref('base_models') }}

),

renamed as (

    select
        source_row_number,
        row_hash,
        source_row,
        nullif({{ llm_migration.trim_whitespace('model_id') }}, '') as model_id,
        {{ llm_migration.normalise_token(llm_migration.trim_whitespace('role')) }} as model_role,
        coalesce(nullif({{ llm_migration.trim_whitespace('display_name') }}, ''), nullif({{ llm_migration.trim_whitespace('model_id') }}, '')) as display_name,
        nullif({{ llm_migration.trim_whitespace('provider') }}, '') as provider,
        case
            when nullif({{ llm_migration.trim_whitespace('model_id') }}, '') is null then 'missing required value: model_id'
            when nullif({{ llm_migration.trim_whitespace('role') }}, '') is null then 'missing required value: role'
            when {{ llm_migration.normalise_token(llm_migration.trim_whitespace('role')) }} not in ('incumbent', 'candidate', 'ignore')
                then {{ dbt.concat(["'role must be incumbent, candidate or ignore, got: '", "substr(role, 1, 80)"]) }}
        end as row_issue

    from source

)

select * from renamed
