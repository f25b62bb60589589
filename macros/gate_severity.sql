{% macro gate_severity() %}
    {#- var llm_migration_gate_severity, checked: the severity of the CI-switch tests. -#}
    {%- set severity = var('llm_migration_gate_severity') -%}
    {%- if severity not in ['warn', 'error'] -%}
        {{ exceptions.raise_compiler_error("var llm_migration_gate_severity must be 'warn' or 'error', got " ~ severity) }}
    {%- endif -%}
    {{ return(severity) }}
{% endmacro %}
