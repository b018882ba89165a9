-- Accidents (simulated BAAC) and police interventions within 500 m of a lighting outage's
-- centre, with their distance and local date/hour, whatever the time: the analytics keep the
-- radius, lamp count and night rule declared in the use case's parameters (radius <= 500 m).
-- Proximity join on 500 m buckets against the 3x3 neighbouring buckets, then the exact distance
-- on 50 m cell centres: linear in the number of rows, never a cross join.
{% set bucket = 500 %}
with pannes as (
    select
        intervention_id,
        x_centre,
        y_centre,
        floor(x_centre / {{ bucket }})::bigint as bx,
        floor(y_centre / {{ bucket }})::bigint as by
    from {{ ref('int_securite_routiere__pannes') }}
    where nb_points_lumineux >= 2
),

evenements as (
    select
        'BAAC' as source,
        'ACC' as code,
        code_lum,
        date_accident as date_locale,
        heure as heure_locale,
        x_laea_50m as x,
        y_laea_50m as y
    from {{ ref('int_securite_routiere__accidents') }}
    where nature_donnees = 'simule' and x_laea_50m is not null
    union all
    select
        'Police municipale' as source,
        code_nature as code,
        null as code_lum,
        {{ paris_local('occurred_at') }}::date as date_locale,
        extract(hour from {{ paris_local('occurred_at') }})::integer as heure_locale,
        x_laea_50m as x,
        y_laea_50m as y
    from {{ ref('stg_police__mains_courantes') }}
    where x_laea_50m is not null and occurred_at is not null
),

evenements_seaux as (
    select
        *,
        floor(x / {{ bucket }})::bigint as bx,
        floor(y / {{ bucket }})::bigint as by
    from evenements
),

voisins as (
    select
        tx.dx,
        ty.dy
    from range(-1, 2) as tx (dx)
    cross join range(-1, 2) as ty (dy)
),

-- The neighbouring buckets as plain columns first: an equality on "bx + dx" computed inside the
-- join condition makes DuckDB fall back to a nested-loop product; on columns it is a hash join.
pannes_voisines as (
    select
        pannes.*,
        pannes.bx + voisins.dx as cible_bx,
        pannes.by + voisins.dy as cible_by
    from pannes
    cross join voisins
)

select
    pannes.intervention_id,
    evenements_seaux.source,
    evenements_seaux.code,
    evenements_seaux.code_lum,
    evenements_seaux.date_locale,
    evenements_seaux.heure_locale,
    round(
        sqrt(power(evenements_seaux.x - pannes.x_centre, 2) + power(evenements_seaux.y - pannes.y_centre, 2))
    )::integer
        as distance_m,
    count(*)::integer as nb_evenements
from pannes_voisines as pannes
inner join evenements_seaux
    on pannes.cible_bx = evenements_seaux.bx
    and pannes.cible_by = evenements_seaux.by
where
    sqrt(power(evenements_seaux.x - pannes.x_centre, 2) + power(evenements_seaux.y - pannes.y_centre, 2))
    <= {{ bucket }}
group by {{ group_by_all(7) }}
