{% macro input_contract() %}
    {#- The four inputs of the package: required columns first, then optional ones. -#}
    {{ return({
        'traces': {
            'required': ['trace_id', 'model_id', 'region', 'created_at'],
            'optional': ['item_id', 'task_type', 'latency_ms', 'input_tokens', 'output_tokens', 'cost_usd', 'status'],
        },
        'judge_scores': {
            'required': ['trace_id', 'metric', 'judge_id', 'judgement'],
            'optional': ['scored_at'],
        },
        'human_labels': {
            'required': ['trace_id', 'metric', 'annotator_id', 'label'],
            'optional': ['labeled_at'],
        },
        'models': {
            'required': ['model_id', 'role'],
            'optional': ['display_name', 'provider'],
        },
    }) }}
{% endmacro %}
