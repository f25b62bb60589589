{% macro verdict_from_token(token_expression, metric_expression) %}
    {#-
        A verdict token (verdict_token) as a boolean for its metric: true when it names the
        metric's positive outcome (e.g. correct, refused, adherent), false for the negative one,
        null when it cannot be read. Spellings come from var llm_migration_label_spellings; "any"
        holds spellings valid for every metric (yes/no, true/false, 1/0, pass/fail), checked after
        the metric's own. Both arguments should be plain columns: the expressions are repeated in
        every branch.
    -#}
    {%- set spellings = var('llm_migration_label_spellings') -%}
    {%- set generic = spellings.get('any', {}) -%}
    case
        {%- for metric, words in spellings.items() if metric != 'any' %}
        {%- if words.get('positive') %}
        when {{ metric_expression }} = '{{ metric }}' and {{ llm_migration.is_one_of(token_expression, words.positive | map('lower') | list) }} then true
        {%- endif %}
        {%- if words.get('negative') %}
        when {{ metric_expression }} = '{{ metric }}' and {{ llm_migration.is_one_of(token_expression, words.negative | map('lower') | list) }} then false
        {%- endif %}
        {%- endfor %}
        {%- if generic.get('positive') %}
        when {{ llm_migration.is_one_of(token_expression, generic.positive | map('lower') | list) }} then true
        {%- endif %}
        {%- if generic.get('negative') %}
        when {{ llm_migration.is_one_of(token_expression, generic.negative | map('lower') | list) }} then false
        {%- endif %}
    end
{% endmacro %}
