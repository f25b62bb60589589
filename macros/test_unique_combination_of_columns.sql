{% test unique_combination_of_columns(model, combination_of_columns) %}
    {#- Fails on every combination that occurs more than once; nulls count as a value. -#}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
