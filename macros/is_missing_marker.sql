{% macro is_missing_marker(expression) %}
    {#-
        True when a text is a missing-value marker of an export (NULL, None, NA, N/A, nil; any
        case), as for status. R writes NA, SQL exports NULL and Python None for a missing number
        or time: read as text that is no number, such a value rejected its whole row (a timed-out
        call's missing latency took the trace, and its verdicts, out of the budget that counts it
        as unbounded). The cast already gives null for them, so staging asks only where a cast
        failed, which costs the rows that were read nothing. NaN is no marker here: a number
        column reads it as a number and rejects it as not finite.
    -#}
    {{ llm_migration.is_one_of('lower(trim(' ~ expression ~ '))', ['null', 'none', 'na', 'n/a', 'nil']) }}
{% endmacro %}
