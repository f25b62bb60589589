{% macro metric_names() %}
    {#-
        The configured metric names, as a list. Checks llm_migration_metrics on the way, so a
        malformed entry stops the build at its first model rather than after the fit: each
        metric needs a direction and a margin that is an absolute rate difference (0.02 = 2
        points; a margin of 2 would clear every regression).
    -#}
    {%- set metrics = var('llm_migration_metrics') -%}
    {%- if metrics is not mapping or not metrics -%}
        {{ exceptions.raise_compiler_error("var llm_migration_metrics must map each metric name to {direction, margin}, got " ~ metrics) }}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- for name, entry in metrics.items() -%}
        {%- if entry is not mapping -%}
            {%- do problems.append(name ~ ": expected {direction, margin}, got " ~ entry) -%}
        {%- else -%}
            {%- if entry.get('direction') not in ['higher_is_better', 'lower_is_better'] -%}
                {%- do problems.append(name ~ ".direction must be higher_is_better or lower_is_better, got " ~ entry.get('direction')) -%}
            {%- endif -%}
            {%- set margin = entry.get('margin') -%}
            {%- if margin is not number or margin is sameas true or margin is sameas false or not (margin >= 0 and margin < 0.5) -%}
                {%- do problems.append(name ~ ".margin must be an absolute rate difference in [0, 0.5), e.g. 0.02 for 2 points, got " ~ margin) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("var llm_migration_metrics: " ~ problems | join('; ')) }}
    {%- endif -%}
    {{ return(metrics.keys() | list) }}
{% endmacro %}
