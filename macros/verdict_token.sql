{% macro verdict_token(text_expression) %}
    {#-
        The word a judge verdict or human label stands for: the text of the first
        <assessment>...</assessment> tag when there is one, else the whole text, as a token
        ("Non-Adherent " -> non_adherent). It is the costly part of reading a verdict (a regex on
        long judge outputs): compute it once per row, in a CTE, and give the column to
        verdict_from_token.
    -#}
    {{ llm_migration.normalise_token(llm_migration.extract_assessment(text_expression)) }}
{% endmacro %}
