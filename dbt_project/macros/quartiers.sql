{#
  Quartier geometry on both engines. DuckDB reads the GeoJSON with the spatial extension; Spark
  (no spatial functions) reads the same polygons as vertex rows (spark_reference/, written from the
  GeoJSON by scripts/quartiers_seeds.py) and answers the same questions in plain SQL.
#}

{# The reference quartiers: code_quartier, nom_quartier, arrondissement, geom. #}
{% macro quartiers_reference() -%}
    {{ (adapter.dispatch('quartiers_reference') if adapter is defined else default__quartiers_reference)() }}
{%- endmacro %}

{% macro default__quartiers_reference() -%}
select
    code_qua::varchar as code_quartier,
    nom::varchar as nom_quartier,
    "DEPCO"::varchar as arrondissement,
    geom
from st_read('{{ var("reference_dir") }}/quartiers-marseille.geojson')
{%- endmacro %}

{#
  On Spark `geom` is not a geometry but the measures the models need from it, precomputed:
  a struct with the LAEA area (shoelace on the projected vertices; holes subtracted).
#}
{% macro spark__quartiers_reference() -%}
with anneaux as (
    select
        code_quartier,
        polygone,
        anneau,
        -- Shoelace on coordinates relative to a point near Marseille: products of 4e6 m
        -- coordinates would cancel away the last square metres.
        abs(sum((x1 - 3950000) * (y2 - 2250000) - (x2 - 3950000) * (y1 - 2250000))) / 2 as surface_m2
    from {{ ref('stg_reference__quartiers_aretes') }}
    group by code_quartier, polygone, anneau
),

surfaces as (
    select
        code_quartier,
        sum(case when anneau = 0 then surface_m2 else -surface_m2 end) as surface_laea_m2
    from anneaux
    group by code_quartier
)

select
    noms.code_quartier,
    noms.nom_quartier,
    noms.arrondissement,
    named_struct('surface_laea_m2', surfaces.surface_laea_m2) as geom
from {{ reference_csv('quartiers_noms.csv', var('spark_reference_dir')) }} as noms
inner join surfaces
    on noms.code_quartier = surfaces.code_quartier
{%- endmacro %}

{# The area of a quartier in the LAEA projection, in m². #}
{% macro laea_area_m2(geom) -%}
    {{ (adapter.dispatch('laea_area_m2') if adapter is defined else default__laea_area_m2)(geom) }}
{%- endmacro %}

{% macro default__laea_area_m2(geom) -%}
    st_area(st_transform({{ geom }}, 'EPSG:4326', 'EPSG:3035', always_xy := true))
{%- endmacro %}

{% macro spark__laea_area_m2(geom) -%}
    {{ geom }}.surface_laea_m2
{%- endmacro %}

{#
  Left join of each point of `points` (a relation alias with lon/lat columns) to the quartier that
  contains it, as `quartiers` (code_quartier). Points outside every quartier keep a null code.
#}
{% macro quartier_join(points, lon, lat) -%}
    {{ (adapter.dispatch('quartier_join') if adapter is defined else default__quartier_join)(points, lon, lat) }}
{%- endmacro %}

{% macro default__quartier_join(points, lon, lat) %}
left join {{ ref('stg_reference__quartiers') }} as quartiers
    on st_contains(quartiers.geom, st_point({{ points }}.{{ lon }}, {{ points }}.{{ lat }}))
{%- endmacro %}

{#
  Point in polygon by ray casting: a point is inside a quartier when a ray towards +lon crosses an
  odd number of its edges (every ring counted, so holes and multipolygons come right). Edges are
  split into 0.001° latitude bands, so each distinct point is tested against the edges of its band
  only (an equi-join). Points exactly on an edge are the only ones where this and st_contains may
  differ: the comparison test checks every point.
#}
{% macro spark__quartier_join(points, lon, lat) -%}
left join (
    select
        points.lon,
        points.lat,
        aretes.code_quartier
    from (
        select distinct
            {{ lon }} as lon,
            {{ lat }} as lat
        from {{ points }}
        where {{ lon }} is not null and {{ lat }} is not null
    ) as points
    inner join {{ ref('stg_reference__quartiers_bandes') }} as aretes
        on floor(points.lat * 1000) = aretes.bande
    where
        (aretes.lat1 > points.lat) <> (aretes.lat2 > points.lat)
        and points.lon
        < aretes.lon1 + (points.lat - aretes.lat1) * (aretes.lon2 - aretes.lon1) / (aretes.lat2 - aretes.lat1)
    group by points.lon, points.lat, aretes.code_quartier
    having count(*) % 2 = 1
) as quartiers
    on {{ points }}.{{ lon }} = quartiers.lon and {{ points }}.{{ lat }} = quartiers.lat
{%- endmacro %}

{#
  The distance in LAEA metres (EPSG:3035) from every distinct point (x, y) of `points` to each
  quartier within `max_m` of it: rows (x, y, code_quartier, distance_m), 0 when the point is in
  the quartier. `points` is a relation alias; `x` and `y` are its LAEA columns in metres.
#}
{% macro quartier_distances(points, x, y, max_m) -%}
    {%- set implementation = adapter.dispatch('quartier_distances') if adapter is defined
        else default__quartier_distances -%}
    {{ implementation(points, x, y, max_m) }}
{%- endmacro %}

{% macro default__quartier_distances(points, x, y, max_m) -%}
select
    points.x,
    points.y,
    quartiers.code_quartier,
    st_distance(quartiers.geom_laea, st_point(points.x, points.y)) as distance_m
from (
    select distinct
        {{ x }} as x,
        {{ y }} as y
    from {{ points }}
    where {{ x }} is not null and {{ y }} is not null
) as points
cross join (
    select
        code_quartier,
        st_transform(geom, 'EPSG:4326', 'EPSG:3035', always_xy := true) as geom_laea
    from {{ ref('stg_reference__quartiers') }}
) as quartiers
where st_distance(quartiers.geom_laea, st_point(points.x, points.y)) <= {{ max_m }}
{%- endmacro %}

{#
  Spark: planar distance to the quartier's edges (the projected vertex rows of
  stg_reference__quartiers_aretes), the minimum over the edges of the distance to the segment, and 0
  when the point is inside (odd number of ray crossings towards +x, holes and multipolygons
  included). Only quartiers whose bounding box is within `max_m` are measured: the polygon is at
  least as far as its box. No correlated subquery (Sail refuses them): a join and a group by.
#}
{% macro spark__quartier_distances(points, x, y, max_m) -%}
    {%- set dx = "(aretes.x2 - aretes.x1)" -%}
    {%- set dy = "(aretes.y2 - aretes.y1)" -%}
    {#- Position of the point's projection on the segment, clamped to its ends (0 for a zero-length edge). -#}
    {%- set t -%}
        coalesce(greatest(0D, least(1D,
            ((points.x - aretes.x1) * {{ dx }} + (points.y - aretes.y1) * {{ dy }})
            / nullif({{ dx }} * {{ dx }} + {{ dy }} * {{ dy }}, 0D)
        )), 0D)
    {%- endset -%}
select
    x,
    y,
    code_quartier,
    distance_m
from (
    select
        x,
        y,
        code_quartier,
        case when sum(traverse) % 2 = 1 then 0D else sqrt(min(distance2)) end as distance_m
    from (
        select
            points.x,
            points.y,
            aretes.code_quartier,
            case
                when
                    (aretes.y1 > points.y) <> (aretes.y2 > points.y)
                    and points.x
                    < aretes.x1 + (points.y - aretes.y1) * {{ dx }} / nullif({{ dy }}, 0D)
                    then 1
                else 0
            end as traverse,
            pow(points.x - (aretes.x1 + {{ t }} * {{ dx }}), 2)
            + pow(points.y - (aretes.y1 + {{ t }} * {{ dy }}), 2) as distance2
        from (
            select distinct
                {{ x }}::double as x,
                {{ y }}::double as y
            from {{ points }}
            where {{ x }} is not null and {{ y }} is not null
        ) as points
        inner join (
            select
                code_quartier,
                min(least(x1, x2)) as x_min,
                max(greatest(x1, x2)) as x_max,
                min(least(y1, y2)) as y_min,
                max(greatest(y1, y2)) as y_max
            from {{ ref('stg_reference__quartiers_aretes') }}
            group by code_quartier
        ) as boites
            on
                points.x between boites.x_min - {{ max_m }} and boites.x_max + {{ max_m }}
                and points.y between boites.y_min - {{ max_m }} and boites.y_max + {{ max_m }}
        inner join {{ ref('stg_reference__quartiers_aretes') }} as aretes
            on boites.code_quartier = aretes.code_quartier
    ) as mesures
    group by x, y, code_quartier
) as distances
where distance_m <= {{ max_m }}
{%- endmacro %}
