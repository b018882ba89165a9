{#
  Staging models that take only the new bronze rows of a day (DuckDB; every other target builds
  tables). The orchestrator decides, per feed, whether bronze only gained rows since the model's
  last build (orchestration/core/bronze_appends.py) and passes the time from which to take them in
  OBSERVATOIRE_BRONZE_APPENDED_SINCE (JSON: feed -> ISO time). A feed it does not name is rebuilt
  from all of bronze: the pre-hook empties the model, then every row is inserted (a delete, an
  update or a rekey in bronze never leaves a stale row behind). The variable is read only at
  execution, so a new day's value does not make dbt parse the models again.

  A model using these: one bronze source, each output row a function of one bronze row and the
  reference geography, and a key (its column_rules' unique or unique_combinations), e.g.
    {{ config(**incremental_staging('police_mains_courantes', 'incident_id')) }}
    ... from {{ source('bronze', 'police_mains_courantes') }} {{ new_bronze_rows('police_mains_courantes') }}
#}

{% macro incremental_staging(feed, unique_key) -%}
    {%- if target is defined and target.type == 'duckdb' -%}  {# (sqlfluff renders without a target) #}
        {{- return({
            'materialized': 'incremental',
            'unique_key': unique_key,
            'incremental_strategy': upsert_strategy(),
            'on_schema_change': 'fail',
            'pre_hook': "{{ clear_unless_appended('" ~ feed ~ "') }}",
        }) -}}
    {%- else -%}
        {{- return({'materialized': 'table'}) -}}
    {%- endif -%}
{%- endmacro %}

{% macro bronze_appended_since(feed) -%}
    {%- if execute is defined and execute -%}
        {{- return(fromjson(env_var('OBSERVATOIRE_BRONZE_APPENDED_SINCE', '{}')).get(feed)) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}

{# The filter of the model's bronze rows on an incremental build whose feed only gained rows. #}
{% macro new_bronze_rows(feed) -%}
    {%- set since = bronze_appended_since(feed) -%}
    {%- if is_incremental() and since -%}
        where _ingested_at >= '{{ since }}'::timestamptz
    {%- endif -%}
{%- endmacro %}

{# An incremental build of a feed not named: the model is emptied, then rebuilt from all of bronze. #}
{% macro clear_unless_appended(feed) -%}
    {%- if is_incremental() and not bronze_appended_since(feed) -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}
