{#-
    Production traffic share per region, for the traffic-weighted overall figure (region ALL).
    Default: each region's share of the incumbent's kept traces. A configured mix
    (var llm_migration_traffic_mix as a mapping region -> share, every share above 0) replaces
    it; shares are normalised to sum to 1.
-#}
{#- Always after these, whichever branch compiles: the unit test reads their columns. -#}
{%- do ref('int_traces_checked') -%}
{%- do ref('int_evaluated_models') -%}
{%- set mix = var('llm_migration_traffic_mix') -%}
with

{% if mix is mapping %}
{%- set problems = [] -%}
{%- for region, share in mix.items() -%}
    {%- if share is not number or share is sameas true or share is sameas false or not share > 0 -%}
        {%- do problems.append(region ~ ': ' ~ share) -%}
    {%- endif -%}
{%- endfor -%}
{%- if not mix or problems -%}
{{ exceptions.raise_compiler_error(
    "var llm_migration_traffic_mix: every region's share must be a number above 0 (a region without "
    ~ "traffic is left out of the mapping); got " ~ (problems | join(', ') if problems else 'an empty mapping')) }}
{%- endif %}
configured as (

    {% for region, share in mix.items() %}
    select
        {{ llm_migration.normalise_region("'" ~ region ~ "'") }} as region,
        cast({{ share }} as {{ llm_migration.type_double() }}) as traffic_weight
    {{ "union all" if not loop.last }}
    {% endfor %}

),
{% elif mix != 'incumbent' %}
{{ exceptions.raise_compiler_error("var llm_migration_traffic_mix must be 'incumbent' or a mapping region -> share, got " ~ mix) }}
{% else %}
configured as (

    select
        traces.region,
        cast(count(*) as {{ llm_migration.type_double() }}) as traffic_weight
    from {{ ref('int_traces_checked') }} as traces
    inner join {{ ref('int_evaluated_models') }} as models
        on traces.model_id = models.model_id
    where traces.rejection_reason is null
        and models.model_role = 'incumbent'
    group by traces.region

),
{% endif %}

totals as (

    select sum(traffic_weight) as total_weight from configured

)

select
    configured.region,
    configured.traffic_weight,
    configured.traffic_weight / totals.total_weight as traffic_share
from configured
cross join totals
where configured.traffic_weight > 0
