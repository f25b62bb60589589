-- The counts table must account for every joined row: nothing lost in the aggregation.
select
    (select sum(n_traces) from {{ ref('int_judgement_counts_aggregated') }}) as n_counted,
    (select count(*) from {{ ref('int_judgements_joined_to_labels') }} where not is_placeholder) as n_joined
where (select sum(n_traces) from {{ ref('int_judgement_counts_aggregated') }})
    != (select count(*) from {{ ref('int_judgements_joined_to_labels') }} where not is_placeholder)
