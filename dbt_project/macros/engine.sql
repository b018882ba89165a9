{#
  Engine differences between the DuckDB targets (local, cluster) and the Spark target (LakeSail over
  Spark Connect, docs/scaling.md). Models call these macros; `adapter.dispatch` picks `spark__...`
  on Spark and `default__...` (the SQL the models always had) on DuckDB, so DuckDB's compiled SQL is
  unchanged. sqlfluff's templater has no `adapter`: it renders the DuckDB branch.
#}

{# A UTC instant as Europe/Paris wall-clock time (a naive timestamp). #}
{% macro paris_local(ts) -%}
    {{ (adapter.dispatch('paris_local') if adapter is defined else default__paris_local)(ts) }}
{%- endmacro %}

{% macro default__paris_local(ts) -%}
    timezone('Europe/Paris', {{ ts }})
{%- endmacro %}

{# Spark timestamps are instants shown in the session zone (UTC in the spark target). #}
{% macro spark__paris_local(ts) -%}
    to_timestamp_ntz(from_utc_timestamp({{ ts }}, 'Europe/Paris'))
{%- endmacro %}

{# `group by all`; Sail does not have it: the first n select targets by position. #}
{% macro group_by_all(n) -%}
    {{ (adapter.dispatch('group_by_all') if adapter is defined else default__group_by_all)(n) }}
{%- endmacro %}

{% macro default__group_by_all(n) -%}
    all
{%- endmacro %}

{% macro spark__group_by_all(n) -%}
    {{ range(1, n + 1) | join(', ') }}
{%- endmacro %}

{# Integer division. #}
{% macro int_div(a, b) -%}
    {{ (adapter.dispatch('int_div') if adapter is defined else default__int_div)(a, b) }}
{%- endmacro %}

{% macro default__int_div(a, b) -%}
    {{ a }} // {{ b }}
{%- endmacro %}

{% macro spark__int_div(a, b) -%}
    {{ a }} div {{ b }}
{%- endmacro %}

{# The value of `arg` on the row where `val` is largest. #}
{% macro arg_max(arg, val) -%}
    {{ (adapter.dispatch('arg_max') if adapter is defined else default__arg_max)(arg, val) }}
{%- endmacro %}

{% macro default__arg_max(arg, val) -%}
    arg_max({{ arg }}, {{ val }})
{%- endmacro %}

{% macro spark__arg_max(arg, val) -%}
    max_by({{ arg }}, {{ val }})
{%- endmacro %}

{# A list of timestamps from start to stop (inclusive) by step. #}
{% macro series(start, stop, step) -%}
    {{ (adapter.dispatch('series') if adapter is defined else default__series)(start, stop, step) }}
{%- endmacro %}

{% macro default__series(start, stop, step) -%}
    generate_series({{ start }}, {{ stop }}, {{ step }})
{%- endmacro %}

{% macro spark__series(start, stop, step) -%}
    sequence({{ start }}, {{ stop }}, {{ step }})
{%- endmacro %}

{# A string split on a one-character separator, as a list. #}
{% macro split_list(text, separator) -%}
    {{ (adapter.dispatch('split_list') if adapter is defined else default__split_list)(text, separator) }}
{%- endmacro %}

{% macro default__split_list(text, separator) -%}
    string_split({{ text }}, '{{ separator }}')
{%- endmacro %}

{# Spark's split takes a regular expression (Sail's has no \\Q...\\E): the separator is escaped. #}
{% macro spark__split_list(text, separator) -%}
    split({{ text }}, '{{ modules.re.escape(separator) }}')
{%- endmacro %}

{# One row per list element, after a comma in a from clause: `from t, {{ unnest_list(...) }} as a (x)`. #}
{% macro unnest_list(list) -%}
    {{ (adapter.dispatch('unnest_list') if adapter is defined else default__unnest_list)(list) }}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    lateral explode({{ list }})
{%- endmacro %}

{# A quoted identifier (reference CSV headers keep their spelling: "Num_Acc", "int"). #}
{% macro ident(name) -%}
    {{ (adapter.dispatch('ident') if adapter is defined else default__ident)(name) }}
{%- endmacro %}

{% macro default__ident(name) -%}
    "{{ name }}"
{%- endmacro %}

{% macro spark__ident(name) -%}
    `{{ name }}`
{%- endmacro %}

{#
  A reference CSV file under the reference directory, every column as text. On Spark the file is
  registered as a temporary view of the session when the model runs (Sail has no read_csv).
#}
{% macro reference_csv(path, directory=none) -%}
    {{ (adapter.dispatch('reference_csv') if adapter is defined else default__reference_csv)(path, directory) }}
{%- endmacro %}

{% macro default__reference_csv(path, directory=none) -%}
    read_csv(
        '{{ directory or var("reference_dir") }}/{{ path }}',
        header = true, all_varchar = true
    )
{%- endmacro %}

{% macro spark__reference_csv(path, directory=none) -%}
    {%- set location = (directory or var("reference_dir")) ~ "/" ~ path -%}
    {%- set view = "reference_" ~ modules.re.sub("[^a-z0-9]+", "_", path.lower()) -%}
    {%- if execute -%}
        {%- set options = "using csv options (path '" ~ location ~ "', header 'true')" -%}
        {%- do run_query("create or replace temporary view " ~ view ~ " " ~ options) -%}
    {%- endif -%}
    {{ view }}
{%- endmacro %}

{# The text type of casts: `x::{{ text_type() }}` (Spark spells it string). #}
{% macro text_type() -%}
    {{ (adapter.dispatch('text_type') if adapter is defined else default__text_type)() }}
{%- endmacro %}

{% macro default__text_type() -%}
    varchar
{%- endmacro %}

{% macro spark__text_type() -%}
    string
{%- endmacro %}

{#
  dbt's own cast (the contract check selects `cast(null as <declared type>)`): the declarations say
  varchar, which Sail does not accept; its name there is string.
#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ 'string' if type | lower == 'varchar' else type }})
{%- endmacro %}

{# A decimal literal read as a double (Spark reads `3600.0` as a decimal and divides in decimals). #}
{% macro double_literal(text) -%}
    {{ (adapter.dispatch('double_literal') if adapter is defined else default__double_literal)(text) }}
{%- endmacro %}

{% macro default__double_literal(text) -%}
    {{ text }}
{%- endmacro %}

{% macro spark__double_literal(text) -%}
    {{ text }}D
{%- endmacro %}

{# Leading characters trimmed. Spark's two-argument ltrim takes them first (`ltrim(chars, text)`): a silent trap. #}
{% macro ltrim_chars(text, chars) -%}
    {{ (adapter.dispatch('ltrim_chars') if adapter is defined else default__ltrim_chars)(text, chars) }}
{%- endmacro %}

{% macro default__ltrim_chars(text, chars) -%}
    ltrim({{ text }}, '{{ chars }}')
{%- endmacro %}

{% macro spark__ltrim_chars(text, chars) -%}
    trim(leading '{{ chars }}' from {{ text }})
{%- endmacro %}
