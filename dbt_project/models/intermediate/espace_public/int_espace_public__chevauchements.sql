-- Candidate conflicts: two occupations of different kinds (worksite, market, event) on the same
-- local day whose time spans overlap, within the search bound (500 m) of each other, with their
-- distance on 50 m cell centres. The analytics keep the declared conflict radius (<= 500 m).
-- Proximity join on 500 m buckets against the 3x3 neighbouring buckets: never a cross join.
{% set bucket = 500 %}
with occupations as (
    select
        *,
        floor(x_laea_50m / {{ bucket }})::bigint as bx,
        floor(y_laea_50m / {{ bucket }})::bigint as by
    from {{ ref('int_espace_public__occupations_jour') }}
),

voisins as (
    select
        tx.dx,
        ty.dy
    from range(-1, 2) as tx (dx)
    cross join range(-1, 2) as ty (dy)
),

-- Each occupation in its 3x3 neighbouring buckets, as plain columns: joining on expressions of
-- two relations makes DuckDB fall back to a cross product; on columns it keeps a hash join.
occupations_voisines as (
    select
        occupations.*,
        occupations.bx + voisins.dx as cible_bx,
        occupations.by + voisins.dy as cible_by
    from occupations
    cross join voisins
),

paires as (
    select
        a.jour,
        a.type_occupation < b.type_occupation as ordre_ok,
        a.type_occupation as type_a,
        a.occupation_id as id_a,
        a.code_detail as detail_a,
        a.code_quartier as code_quartier_a,
        b.type_occupation as type_b,
        b.occupation_id as id_b,
        b.code_detail as detail_b,
        b.code_quartier as code_quartier_b,
        greatest(a.debut_local, b.debut_local) as debut_chevauchement,
        least(a.fin_local, b.fin_local) as fin_chevauchement,
        sqrt(power(a.x_laea_50m - b.x_laea_50m, 2) + power(a.y_laea_50m - b.y_laea_50m, 2)) as distance_m
    from occupations_voisines as a
    inner join occupations as b
        on a.jour = b.jour
        and a.cible_bx = b.bx
        and a.cible_by = b.by
)

select
    jour,
    type_a,
    id_a,
    detail_a,
    code_quartier_a,
    type_b,
    id_b,
    detail_b,
    code_quartier_b,
    debut_chevauchement,
    fin_chevauchement,
    distance_m::double as distance_m
from paires
-- One row per unordered pair of different kinds (chantier < evenement < marche); the inequality
-- stays out of the join condition so that DuckDB keeps a hash join on day and buckets.
where ordre_ok and distance_m <= {{ bucket }} and fin_chevauchement > debut_chevauchement
