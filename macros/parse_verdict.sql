{% macro parse_verdict(text_expression, metric_expression) %}
    {#-
        Map a judge verdict or human label to a boolean for its metric: true when it names the
        metric's positive outcome (e.g. correct, refused, adherent), false for the negative one,
        null when it cannot be read. Spellings come from var llm_migration_label_spellings;
        "any" holds spellings valid for every metric (yes/no, true/false, 1/0, pass/fail).
    -#}
    {%- set spellings = var('llm_migration_label_spellings') -%}
    {%- set token = llm_migration.normalise_token(llm_migration.extract_assessment(text_expression)) -%}
    {%- set generic = spellings.get('any', {}) -%}
    case
        {%- for metric, words in spellings.items() if metric != 'any' %}
        {%- if words.get('positive') %}
        when {{ metric_expression }} = '{{ metric }}' and {{ token }} in ({% for w in words.positive %}'{{ w | lower }}'{{ ", " if not loop.last }}{% endfor %}) then true
        {%- endif %}
        {%- if words.get('negative') %}
        when {{ metric_expression }} = '{{ metric }}' and {{ token }} in ({% for w in words.negative %}'{{ w | lower }}'{{ ", " if not loop.last }}{% endfor %}) then false
        {%- endif %}
        {%- endfor %}
        {%- if generic.get('positive') %}
        when {{ token }} in ({% for w in generic.positive %}'{{ w | lower }}'{{ ", " if not loop.last }}{% endfor %}) then true
        {%- endif %}
        {%- if generic.get('negative') %}
        when {{ token }} in ({% for w in generic.negative %}'{{ w | lower }}'{{ ", " if not loop.last }}{% endfor %}) then false
        {%- endif %}
    end
{% endmacro %}
