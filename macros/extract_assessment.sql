{% macro extract_assessment(expression) %}
    {{ return(adapter.dispatch('extract_assessment', 'llm_migration')(expression)) }}
{% endmacro %}

{% macro default__extract_assessment(expression) %}
    {#-
        The text inside the first <assessment>...</assessment> tag, without the whitespace around
        it, else the whole text. (?s): the tag's content may span lines, as judges often write
        "<assessment>\n  Correct\n</assessment>"; without it the content was not found and the
        verdict rejected as unreadable.

        Several tags must agree (the first and the last, as tokens): a judge that restates its
        instructions ("answer <assessment>correct</assessment> or
        <assessment>incorrect</assessment> ... <assessment>incorrect</assessment>") was read as
        its first tag, correct. When they disagree the whole text is returned, which no
        spelling matches, so the verdict is rejected, not guessed.
    -#}
    {%- set first = "regexp_extract(lower(" ~ expression ~ "), '(?s)<assessment>\\s*(.*?)\\s*</assessment>', 1)" -%}
    {%- set last = "regexp_extract(lower(" ~ expression ~ "), '(?s).*<assessment>\\s*(.*?)\\s*</assessment>', 1)" -%}
    case
        when lower({{ expression }}) like '%<assessment>%</assessment>%<assessment>%</assessment>%'
            and {{ llm_migration.normalise_token(first) }} <> {{ llm_migration.normalise_token(last) }}
            then {{ expression }}
        when lower({{ expression }}) like '%<assessment>%</assessment>%'
            then {{ first }}
        else {{ expression }}
    end
{% endmacro %}

{% macro snowflake__extract_assessment(expression) %}
    case
        when lower({{ expression }}) like '%<assessment>%</assessment>%'
            then regexp_substr(lower({{ expression }}), '<assessment>(.*?)</assessment>', 1, 1, 'es', 1)
        else {{ expression }}
    end
{% endmacro %}

{% macro bigquery__extract_assessment(expression) %}
    case
        when lower({{ expression }}) like '%<assessment>%</assessment>%'
            then regexp_extract(lower({{ expression }}), r'(?s)<assessment>(.*?)</assessment>')
        else {{ expression }}
    end
{% endmacro %}
