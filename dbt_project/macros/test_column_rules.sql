{#
  A model's column rules in one test, instead of one dbt node per column and rule (each node cost
  dbt more start-up than DuckDB work). The guarantees are dbt's own tests':
  - not_null: no null in the column;
  - unique: no two non-null values are equal (nulls ignored, as dbt's unique);
  - accepted_values: every non-null value is one of the list (strings quoted, numbers not: dbt's
    accepted_values with quote true or false);
  - unique_combinations: no two rows share these columns (nulls grouped together, as a GROUP BY;
    what macros/test_unique_combination.sql checks); failing rows: the combinations seen twice or more;
  - relationships: every non-null value of the column is a value of `field` in `to` (dbt's
    relationships test, same join); failing rows: the child rows without a parent.
  The first three are counted in one scan of the table, each of the others in a query of its own.
  A relationship makes the test depend on `to` too: dbt then holds back only those children of the
  model that also descend from `to` (tests/unit/test_dbt_column_rules.py checks they all do).
  Returns one row per broken rule (column_name, rule, failing_rows); the test fails with the number
  of offending rows, and the build's error names the column and the rule (broken_column_rules in
  orchestration/factories/dbt.py).
#}
{% test column_rules(model, not_null=[], unique=[], accepted_values={}, unique_combinations=[], relationships={}) %}
    {{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
    {%- set rules = column_rule_counts(not_null, unique, accepted_values) %}
    {%- set checks = [] %}
    {%- for columns in unique_combinations %}
        {%- do checks.append({'column': columns | join(', '), 'rule': 'unique_combination', 'failing':
            'select count(*) as failing_rows from (select ' ~ columns | join(', ') ~ ' from ' ~ model
            ~ ' group by ' ~ columns | join(', ') ~ ' having count(*) > 1) as duplicated'}) %}
    {%- endfor %}
    {%- for column, parent in relationships.items() %}
        {%- do checks.append({'column': column, 'rule': 'relationships', 'failing':
            'select count(*) as failing_rows from (select ' ~ column ~ ' as from_field from ' ~ model
            ~ ' where ' ~ column ~ ' is not null) as child left join (select ' ~ parent.field ~ ' as to_field from '
            ~ parent.to ~ ') as parent on child.from_field = parent.to_field where parent.to_field is null'}) %}
    {%- endfor %}
with
    {%- if rules %}
counts as (
    select
    {%- for rule in rules %}
        {{ rule.failing }} as rule_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
){{ ',' if checks }}
{%- endif %}
    {%- for check in checks %}
check_{{ loop.index }} as (
    {{ check.failing }}
){{ ',' if not loop.last }}
{%- endfor %}

    {% for rule in rules -%}
    select
        '{{ rule.column }}' as column_name,
        '{{ rule.rule }}' as rule,
        rule_{{ loop.index }} as failing_rows
    from counts
    where rule_{{ loop.index }} > 0
    {{ 'union all' if not loop.last or checks }}
{% endfor %}
    {%- for check in checks -%}
    select
        '{{ check.column }}' as column_name,
        '{{ check.rule }}' as rule,
        failing_rows
    from check_{{ loop.index }}
    where failing_rows > 0
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
