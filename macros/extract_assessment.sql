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
    {#-
        The default's reading, without its regexes: Snowflake's have no non-greedy quantifier
        (.*?), so the tag's content is cut out with split_part. First tag: the text after the
        first <assessment> up to the next </assessment>; last tag: after the last <assessment>
        (split_part counts a negative part from the end). Trimmed of the whitespace the
        default's \s* skips. This version once took the first tag alone, so a judge restating
        its instructions ("answer <assessment>correct</assessment> or
        <assessment>incorrect</assessment> ... <assessment>incorrect</assessment>") was read
        as correct.
    -#}
    {#- Snowflake reads these escapes in a string: the characters \s matches in the default. -#}
    {%- set blanks = "' \\t\\n\\r\\f'" -%}
    {%- set first = "trim(split_part(split_part(lower(" ~ expression ~ "), '<assessment>', 2), '</assessment>', 1), " ~ blanks ~ ")" -%}
    {%- set last = "trim(split_part(split_part(lower(" ~ expression ~ "), '<assessment>', -1), '</assessment>', 1), " ~ blanks ~ ")" -%}
    case
        when lower({{ expression }}) like '%<assessment>%</assessment>%<assessment>%</assessment>%'
            and {{ llm_migration.normalise_token(first) }} <> {{ llm_migration.normalise_token(last) }}
            then {{ expression }}
        when lower({{ expression }}) like '%<assessment>%</assessment>%'
            then {{ first }}
        else {{ expression }}
    end
{% endmacro %}

{% macro bigquery__extract_assessment(expression) %}
    {#-
        The default's reading in BigQuery's spelling (RE2: (?s) and .*? as in DuckDB; a raw
        string keeps the backslashes): the first tag's content unless the last one disagrees.
        This version once took the first tag alone.
    -#}
    {%- set first = "regexp_extract(lower(" ~ expression ~ "), r'(?s)<assessment>\\s*(.*?)\\s*</assessment>')" -%}
    {%- set last = "regexp_extract(lower(" ~ expression ~ "), r'(?s).*<assessment>\\s*(.*?)\\s*</assessment>')" -%}
    case
        when lower({{ expression }}) like '%<assessment>%</assessment>%<assessment>%</assessment>%'
            and {{ llm_migration.normalise_token(first) }} <> {{ llm_migration.normalise_token(last) }}
            then {{ expression }}
        when lower({{ expression }}) like '%<assessment>%</assessment>%'
            then {{ first }}
        else {{ expression }}
    end
{% endmacro %}
