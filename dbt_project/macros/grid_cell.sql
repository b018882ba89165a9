{#
  Generalised position: the centre of the 50 m cell of the European LAEA grid (EPSG:3035, the
  grid INSEE's "carroyage" uses) that contains a WGS84 point, in metres. Staging keeps this
  instead of exact coordinates: enough for "within 150 m of a school / 250 m of an outage"
  (cell-centre error <= 36 m on each axis), too coarse to point at a doorway. Cells nest: the
  200 m cell of a point is floor(x_laea_50m / 200) * 200, the same as from the exact point.
#}
{% macro laea_cell(lon, lat, axis, size=50) -%}
    (floor({{ laea_coordinate(lon, lat, axis) }} / {{ size }}) * {{ size }} + {{ size }} / 2)::integer
{%- endmacro %}

{# The EPSG:3035 (LAEA Europe) x or y of a WGS84 point, in metres. #}
{% macro laea_coordinate(lon, lat, axis) -%}
    {{ (adapter.dispatch('laea_coordinate') if adapter is defined else default__laea_coordinate)(lon, lat, axis) }}
{%- endmacro %}

{% macro default__laea_coordinate(lon, lat, axis) -%}
    st_{{ axis }}(st_transform(st_point({{ lon }}, {{ lat }}), 'EPSG:4326', 'EPSG:3035', always_xy := true))
{%- endmacro %}

{#
  Spark has no PROJ: the ellipsoidal oblique Lambert azimuthal equal-area forward projection as PROJ
  computes it (laea.cpp, GRS80, lat_0=52, lon_0=10, x_0=4321000, y_0=3210000), in plain arithmetic.
  Constants: e, 1 - e^2, q_p, sin/cos of the authalic latitude of lat_0, PROJ's xmf and ymf. Checked
  against DuckDB's st_transform to 5e-10 m (the last bit of a 4e6 m coordinate) on every test point,
  so floor(x / 50) gives the same cell (tests/cluster/test_spark_models.py).
#}
{% macro spark__laea_coordinate(lon, lat, axis) -%}
    {%- set e = "0.08181919104281579D" -%}
    {%- set sinphi = "sin(radians(" ~ lat ~ "))" -%}
    {%- set q -%}
        (0.9933056199770992D * ({{ sinphi }} / (1 - pow({{ e }} * {{ sinphi }}, 2))
        - (0.5D / {{ e }}) * ln((1 - {{ e }} * {{ sinphi }}) / (1 + {{ e }} * {{ sinphi }}))))
    {%- endset -%}
    {%- set sinb = "(" ~ q ~ " / 1.9955310874809387D)" -%}
    {%- set cosb = "sqrt(1 - pow(" ~ sinb ~ ", 2))" -%}
    {%- set lam = "radians(" ~ lon ~ " - 10)" -%}
    {%- set denominator = "1 + 0.7866706332158556D * " ~ sinb -%}
    {%- set denominator = denominator ~ " + 0.6173729139148921D * " ~ cosb ~ " * cos(" ~ lam ~ ")" -%}
    {%- set b = "sqrt(2 / (" ~ denominator ~ "))" -%}
    {%- if axis == 'x' -%}
        (6378137.0D * 0.9993070660721464D * {{ b }} * {{ cosb }} * sin({{ lam }}) + 4321000)
    {%- else -%}
        (6378137.0D * 0.9984574087545122D * {{ b }}
        * (0.6173729139148921D * {{ sinb }} - 0.7866706332158556D * {{ cosb }} * cos({{ lam }})) + 3210000)
    {%- endif -%}
{%- endmacro %}

{% macro laea_cell_columns(lon, lat) -%}
    case when {{ lat }} is not null and {{ lon }} is not null then {{ laea_cell(lon, lat, 'x') }} end as x_laea_50m,
    case when {{ lat }} is not null and {{ lon }} is not null then {{ laea_cell(lon, lat, 'y') }} end as y_laea_50m
{%- endmacro %}

{# The INSEE-style identifier of the 200 m cell from the 50 m cell centre columns. #}
{% macro carreau_200m(x, y) -%}
    'CRS3035RES200mN' || (floor({{ y }} / 200) * 200)::bigint || 'E' || (floor({{ x }} / 200) * 200)::bigint
{%- endmacro %}
