{#
  The incremental strategy that replaces rows by a unique key, per engine (docs/scaling.md,
  "Incremental models on Spark"): `merge` on Spark (dbt-spark, Delta tables: MERGE INTO, checked on
  Sail), `delete+insert` on DuckDB (dbt-duckdb). A model that is incremental calls this with its
  `unique_key` instead of naming an engine's strategy (the staging models: incremental_staging.sql).
  tests/cluster/test_spark_incremental.py runs both.
#}
{% macro upsert_strategy() -%}
    {{- return(adapter.dispatch('upsert_strategy')()) -}}
{%- endmacro %}

{% macro default__upsert_strategy() -%}
    {{- return('delete+insert') -}}
{%- endmacro %}

{% macro spark__upsert_strategy() -%}
    {{- return('merge') -}}
{%- endmacro %}
