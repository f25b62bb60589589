{% macro normalise_token(expression) %}
    {#- lower case, trimmed, spaces and hyphens read as underscores: "Non-Adherent " -> non_adherent -#}
    replace(replace(lower(trim({{ expression }})), ' ', '_'), '-', '_')
{% endmacro %}
