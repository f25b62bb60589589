{% macro is_plausible_timestamp(expression) %}
    {#-
        True when a parsed timestamp lies in [2000-01-01, 2200-01-01). Casts accept 'infinity'
        and far-off years (Parquet timestamps too), which no trace, verdict or label can carry and
        which later steps (weeks in the drift monitor, pandas) cannot represent; and no LLM trace
        predates 2000, while 1970-01-01 (epoch 0) is what a logger writes for a missing time.
    -#}
    ({{ expression }} >= cast('2000-01-01 00:00:00' as timestamp) and {{ expression }} < cast('2200-01-01 00:00:00' as timestamp))
{% endmacro %}
