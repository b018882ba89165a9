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

{#
  Where the spark target writes its tables: OBSERVATOIRE_SPARK_WAREHOUSE, else `<lake tables>/spark`
  when the lake's tables are in an object store (OBSERVATOIRE_TABLES=s3://bucket/prefix, the
  cluster profile), else nothing (Sail's own warehouse directory, local to its server).
#}
{% macro spark_warehouse() -%}
    {%- set tables = env_var('OBSERVATOIRE_TABLES', '') -%}
    {%- set default = tables.rstrip('/') ~ '/spark' if '://' in tables else '' -%}
    {{- return(env_var('OBSERVATOIRE_SPARK_WAREHOUSE', default).rstrip('/')) -}}
{%- endmacro %}

{#
  dbt-spark's location clause: a model's own `location_root` as before, else
  `<warehouse>/<schema>/<name>`, so every table is an external Delta table in the bucket. With a
  location, Sail's `create or replace` writes a new version of the same Delta table (without one, a
  new managed directory per run).
#}
{% macro spark__location_clause() -%}
    {%- set location_root = config.get('location_root', validator=validation.any[basestring]) -%}
    {%- set warehouse = spark_warehouse() -%}
    {%- if location_root is not none %}
    location '{{ location_root }}/{{ model['alias'] }}'
    {%- elif warehouse %}
    location '{{ warehouse }}/{{ model['schema'] }}/{{ model['alias'] }}'
    {%- endif %}
{%- endmacro %}

{#
  dbt-spark's options clause, plus `overwriteSchema` for Delta tables at a location: Sail's
  `create or replace` on an existing Delta location otherwise refuses a model whose columns
  changed ("Field ... not found in table schema").
#}
{% macro spark__options_clause() -%}
    {%- if config.get('options') is none and config.get('file_format') == 'delta' and spark_warehouse() %}
    options (overwriteschema 'true')
    {%- else -%}
        {{ dbt.spark__options_clause() }}
    {%- endif %}
{%- endmacro %}
