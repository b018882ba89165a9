-- Complaints within the search bound (300 m) of a market's place, whatever the day, with the
-- local minute and the distance on 50 m cell centres; sessions say which days the market held.
{% set bucket = 300 %}
with seances as (
    select
        marche_id,
        x_laea_50m,
        y_laea_50m,
        row_number() over (partition by marche_id order by jour desc) as rang_seance
    from {{ ref('int_espace_public__seances') }}
),

lieux as (
    -- A market's place is that of its latest session (markets do not move within a season); a
    -- filter on the rank rather than `qualify`, which Spark does not have.
    select
        marche_id,
        x_laea_50m as x,
        y_laea_50m as y,
        floor(x_laea_50m / {{ bucket }})::bigint as bx,
        floor(y_laea_50m / {{ bucket }})::bigint as by
    from seances
    where rang_seance = 1
),

plaintes as (
    select
        *,
        floor(x_laea_50m / {{ bucket }})::bigint as bx,
        floor(y_laea_50m / {{ bucket }})::bigint as by
    from {{ ref('int_espace_public__plaintes') }}
    where x_laea_50m is not null
),

voisins as (
    select
        tx.dx,
        ty.dy
    from range(-1, 2) as tx (dx)
    cross join range(-1, 2) as ty (dy)
),

-- Each complaint in its 3x3 neighbouring buckets, as plain columns: joining on expressions of
-- two relations makes DuckDB fall back to a cross product; on columns it keeps a hash join.
plaintes_voisines as (
    select
        plaintes.*,
        plaintes.bx + voisins.dx as cible_bx,
        plaintes.by + voisins.dy as cible_by
    from plaintes
    cross join voisins
),

paires as (
    select
        plaintes.source,
        plaintes.plainte_id,
        plaintes.code_categorie,
        plaintes.jour_local,
        plaintes.minute_locale,
        lieux.marche_id,
        sqrt(power(plaintes.x_laea_50m - lieux.x, 2) + power(plaintes.y_laea_50m - lieux.y, 2)) as distance_m
    from plaintes_voisines as plaintes
    inner join lieux
        on plaintes.cible_bx = lieux.bx
        and plaintes.cible_by = lieux.by
)

select
    source,
    plainte_id,
    code_categorie,
    jour_local,
    minute_locale,
    marche_id,
    distance_m::double as distance_m
from paires
where distance_m <= {{ bucket }}
