-- Complaints within the search bound (300 m) of a worksite, from 90 days before it starts to
-- 90 days after it ends (the before/after reference), with the distance on 50 m cell centres.
-- The analytics apply the declared radius, categories, restrictions and reference spans.
{% set bucket = 300 %}
with chantiers as (
    select
        arrete_id,
        debut,
        fin,
        x_laea_50m as x,
        y_laea_50m as y,
        floor(x_laea_50m / {{ bucket }})::bigint as bx,
        floor(y_laea_50m / {{ bucket }})::bigint as by
    from {{ ref('int_espace_public__chantiers') }}
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
        chantiers.arrete_id,
        -- Days from the works' span (0 inside it): the range filter stays out of the join
        -- condition so that DuckDB keeps a hash join on the buckets.
        greatest(
            date_diff('day', plaintes.jour_local, chantiers.debut),
            date_diff('day', chantiers.fin, plaintes.jour_local),
            0
        )
            as jours_hors_chantier,
        sqrt(power(plaintes.x_laea_50m - chantiers.x, 2) + power(plaintes.y_laea_50m - chantiers.y, 2)) as distance_m
    from plaintes_voisines as plaintes
    inner join chantiers
        on plaintes.cible_bx = chantiers.bx
        and plaintes.cible_by = chantiers.by
)

select
    source,
    plainte_id,
    code_categorie,
    jour_local,
    arrete_id,
    distance_m::double as distance_m
from paires
where distance_m <= {{ bucket }} and jours_hors_chantier <= 90
