{#
  Generalised position: the centre of the 50 m cell of the European LAEA grid (EPSG:3035, the
  grid INSEE's "carroyage" uses) that contains a WGS84 point, in metres. Staging keeps this
  instead of exact coordinates: enough for "within 150 m of a school / 250 m of an outage"
  (cell-centre error <= 36 m on each axis), too coarse to point at a doorway. Cells nest: the
  200 m cell of a point is floor(x_laea_50m / 200) * 200, the same as from the exact point.
#}
{% macro laea_cell(lon, lat, axis, size=50) -%}
    (floor(st_{{ axis }}(st_transform(st_point({{ lon }}, {{ lat }}), 'EPSG:4326', 'EPSG:3035', always_xy := true)) / {{ size }}) * {{ size }} + {{ size }} / 2)::integer
{%- endmacro %}

{% macro laea_cell_columns(lon, lat) -%}
    case when {{ lat }} is not null and {{ lon }} is not null then {{ laea_cell(lon, lat, 'x') }} end as x_laea_50m,
    case when {{ lat }} is not null and {{ lon }} is not null then {{ laea_cell(lon, lat, 'y') }} end as y_laea_50m
{%- endmacro %}

{# The INSEE-style identifier of the 200 m cell from the 50 m cell centre columns. #}
{% macro carreau_200m(x, y) -%}
    'CRS3035RES200mN' || (floor({{ y }} / 200) * 200)::bigint || 'E' || (floor({{ x }} / 200) * 200)::bigint
{%- endmacro %}
