{% macro fingerprinted_settings() %}
    {#-
        Everything besides the data that changes the outputs: the package version and the vars
        the models read. Part of run_id, so a change here recomputes every output.
    -#}
    {%- set names = [
        'llm_migration_metrics', 'llm_migration_traffic_mix', 'llm_migration_sampler',
        'llm_migration_chains', 'llm_migration_draws', 'llm_migration_tune',
        'llm_migration_target_accept', 'llm_migration_retry_target_accept',
        'llm_migration_random_seed', 'llm_migration_hdi_prob',
        'llm_migration_primary_judge', 'llm_migration_label_spellings', 'llm_migration_metric_aliases',
        'llm_migration_priors', 'llm_migration_gates', 'llm_migration_drift_tolerance',
        'llm_migration_drift_probability', 'llm_migration_drift_min_pairs',
    ] + var('llm_migration_extra_fingerprinted_vars', []) -%}
    {%- set settings = {'package_version': llm_migration.package_version()} -%}
    {%- for name in names -%}
        {%- do settings.update({name: var(name, none)}) -%}
    {%- endfor -%}
    {{ return(tojson(settings, sort_keys=true)) }}
{% endmacro %}

{% macro package_version() %}
    {#- Kept equal to pyproject.toml and dbt_project.yml (a test checks it). -#}
    {{ return('0.3.0') }}
{% endmacro %}
