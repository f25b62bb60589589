{% macro gate_severity() %}
    {#- var llm_migration_gate_severity, checked: the severity of the CI-switch tests. -#}
    {%- set severity = var('llm_migration_gate_severity') -%}
    {%- if severity not in ['warn', 'error'] -%}
        {{ exceptions.raise_compiler_error("var llm_migration_gate_severity must be 'warn' or 'error', got " ~ severity) }}
    {%- endif -%}
    {{ return(severity) }}
{% endmacro %}

{% macro fail_on_needs_more_labels() %}
    {#- var llm_migration_fail_on_needs_more_labels, checked: a boolean (true/false). The text
        'false' would otherwise be a non-empty string, read as true. -#}
    {%- set value = var('llm_migration_fail_on_needs_more_labels') -%}
    {%- if value is not boolean -%}
        {{ exceptions.raise_compiler_error("var llm_migration_fail_on_needs_more_labels must be true or false (unquoted), got " ~ (value | tojson)) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
