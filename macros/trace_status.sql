{% macro trace_status(traces_relation) %}
    {#-
        One row per trace_id of traces_relation (int_traces_checked, or some of its rows): kept
        when any of its rows is kept. The body of int_trace_status, and what a refresh of the
        checked verdict models computes for the traces in scope only.
    -#}
    select
        trace_id,
        max(case when rejection_reason is null then 1 else 0 end) = 1 as is_kept
    from {{ traces_relation }}
    where trace_id is not null
    group by trace_id
{% endmacro %}
