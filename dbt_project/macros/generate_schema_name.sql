{# Layers are schemas of their own name (staging, marts), not "<target>_<layer>". #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
