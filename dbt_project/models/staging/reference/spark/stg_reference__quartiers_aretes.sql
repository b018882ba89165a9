-- Spark target only: the edges of every quartier ring, in WGS84 and in LAEA (EPSG:3035) metres,
-- from the vertex rows written from the GeoJSON (spark_reference/quartiers_sommets.csv).
with sommets as (
    select
        code_quartier,
        polygone::integer as polygone,
        anneau::integer as anneau,
        ordre::integer as ordre,
        lon::double as lon,
        lat::double as lat
    from {{ reference_csv('quartiers_sommets.csv', var('spark_reference_dir')) }}
),

projetes as (
    select
        *,
        {{ laea_coordinate('lon', 'lat', 'x') }} as x,
        {{ laea_coordinate('lon', 'lat', 'y') }} as y
    from sommets
),

aretes as (
    select
        code_quartier,
        polygone,
        anneau,
        ordre,
        lon as lon1,
        lat as lat1,
        x as x1,
        y as y1,
        lead(lon) over (partition by code_quartier, polygone, anneau order by ordre) as lon2,
        lead(lat) over (partition by code_quartier, polygone, anneau order by ordre) as lat2,
        lead(x) over (partition by code_quartier, polygone, anneau order by ordre) as x2,
        lead(y) over (partition by code_quartier, polygone, anneau order by ordre) as y2
    from projetes
)

select
    code_quartier,
    polygone,
    anneau,
    ordre,
    lon1,
    lat1,
    lon2,
    lat2,
    x1,
    y1,
    x2,
    y2
from aretes
where lon2 is not null
