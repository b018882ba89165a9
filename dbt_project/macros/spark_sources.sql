{#
  on-run-start: the Spark target reads the lake's Delta tables as catalog tables named like dbt's
  sources (bronze.<feed>, observatoire.<table>). Their locations are the ones the DuckDB targets
  read, taken from each source's `external_location` (`delta_scan('<path>')`), so they are declared
  once. Nothing on DuckDB, which reads `external_location` directly.
#}
{% macro register_lake_sources() -%}
    {{ (adapter.dispatch('register_lake_sources') if adapter is defined else default__register_lake_sources)() }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- for source in graph.sources.values() -%}
            {%- set template = source.meta.get('external_location') or source.source_meta.get('external_location') -%}
            {%- set found = modules.re.match("^delta_scan\\('(.*)'\\)$", (template or '') | trim) -%}
            {%- if found -%}
                {%- set location = found.group(1) | replace('{name}', source.name) -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- set table = source.schema ~ '.' ~ source.identifier -%}
                {%- do run_query('drop table if exists ' ~ table) -%}
                {%- do run_query('create table ' ~ table ~ " using delta location '" ~ location ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#
  Delta tables on Sail (OBSERVATOIRE_SPARK_FILE_FORMAT=delta): dbt-spark persists a contract's
  not_null constraints with `alter table ... change column ... set not null`, which Sail 0.7.2
  refuses ("unsupported ALTER TABLE operation"). The contract's columns and types are still
  checked before the table is built, and the marts' not_null data tests still apply.
#}
{% macro spark__alter_column_set_constraints(relation, column_dict) -%}
    {%- do log("Sail: not_null constraints of " ~ relation ~ " not persisted (left to the not_null tests)") -%}
{%- endmacro %}
