{% macro input_contract() %}
    {#-
        The four inputs of the package: required columns first, then optional ones; "typed" names
        the columns staging reads as timestamps or numbers (base views add a <column>_value for
        them, see select_input).
    -#}
    {{ return({
        'traces': {
            'required': ['trace_id', 'model_id', 'region', 'created_at'],
            'optional': ['item_id', 'task_type', 'latency_ms', 'input_tokens', 'output_tokens', 'cost_usd', 'status'],
            'typed': {
                'created_at': 'timestamp', 'latency_ms': 'double', 'input_tokens': 'double',
                'output_tokens': 'double', 'cost_usd': 'double',
            },
        },
        'judge_scores': {
            'required': ['trace_id', 'metric', 'judge_id', 'judgement'],
            'optional': ['scored_at'],
            'typed': {'scored_at': 'timestamp'},
        },
        'human_labels': {
            'required': ['trace_id', 'metric', 'annotator_id', 'label'],
            'optional': ['labeled_at'],
            'typed': {'labeled_at': 'timestamp'},
        },
        'models': {
            'required': ['model_id', 'role'],
            'optional': ['display_name', 'provider'],
            'typed': {},
        },
    }) }}
{% endmacro %}
