{#
  A model's column rules in one test and one scan of the table, instead of one dbt node per column
  and rule (each node cost dbt more start-up than DuckDB work). The guarantees are dbt's own tests':
  - not_null: no null in the column;
  - unique: no two non-null values are equal (nulls ignored, as dbt's unique);
  - accepted_values: every non-null value is one of the list (strings quoted, numbers not: dbt's
    accepted_values with quote true or false).
  Returns one row per broken rule (column_name, rule, failing_rows); the test fails with the number
  of offending rows, and the build's error names the column and the rule (broken_column_rules in
  orchestration/factories/dbt.py).
#}
{% test column_rules(model, not_null=[], unique=[], accepted_values={}) %}
    {{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
    {%- set rules = column_rule_counts(not_null, unique, accepted_values) %}
with counts as (
    select
    {%- for rule in rules %}
        {{ rule.failing }} as rule_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for rule in rules -%}
    select
        '{{ rule.column }}' as column_name,
        '{{ rule.rule }}' as rule,
        rule_{{ loop.index }} as failing_rows
    from counts
    where rule_{{ loop.index }} > 0
    {{ 'union all' if not loop.last }}
{% endfor %}
{% endtest %}


{# Each rule as (column, rule, SQL counting the rows that break it), in plain SQL every engine runs. #}
{% macro column_rule_counts(not_null, unique, accepted_values) %}
    {%- set rules = [] -%}
    {%- for column in not_null -%}
        {%- set failing = 'sum(case when ' ~ column ~ ' is null then 1 else 0 end)' -%}
        {%- do rules.append({'column': column, 'rule': 'not_null', 'failing': failing}) -%}
    {%- endfor -%}
    {%- for column in unique -%}
        {%- set failing = 'count(' ~ column ~ ') - count(distinct ' ~ column ~ ')' -%}
        {%- do rules.append({'column': column, 'rule': 'unique', 'failing': failing}) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set listed = [] -%}
        {%- for value in values -%}
            {%- do listed.append(("'" ~ value ~ "'") if value is string else value | string) -%}
        {%- endfor -%}
        {%- set failing = 'sum(case when ' ~ column ~ ' not in (' ~ listed | join(', ') ~ ') then 1 else 0 end)' -%}
        {%- do rules.append({'column': column, 'rule': 'accepted_values', 'failing': failing}) -%}
    {%- endfor -%}
    {{- return(rules) -}}
{% endmacro %}
