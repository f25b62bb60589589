{% macro is_plausible_timestamp(expression, earliest='2000-01-01') %}
    {#-
        True when a parsed timestamp lies in [earliest, 2200-01-01). Casts accept 'infinity'
        and far-off years (Parquet timestamps too), which no trace, verdict or label can carry and
        which later steps (weeks in the drift monitor, pandas) cannot represent. A trace's
        created_at must not predate 2000 (the default): no LLM trace does, while 1970-01-01
        (epoch 0) is what a logger writes for a missing time. The optional scored_at and
        labeled_at pass earliest='1970-01-01', so such a time does not cost a verdict or a label.
    -#}
    ({{ expression }} >= cast('{{ earliest }} 00:00:00' as timestamp) and {{ expression }} < cast('2200-01-01 00:00:00' as timestamp))
{% endmacro %}
