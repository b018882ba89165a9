-- Police interventions and CSU events within the search bound (300 m) of a school, whatever the
-- time and category: one row per (incident, school) pair with the distance on 50 m cell centres
-- and the local day and minute. The analytics apply the radius, categories, windows and school
-- calendar declared in the use case's parameters (radius <= 300 m).
-- Proximity join on 300 m buckets against the 3x3 neighbouring buckets, then the exact distance:
-- linear in the number of rows, never a cross join.
{% set bucket = 300 %}
with etablissements as (
    select
        uai,
        niveau,
        code_quartier as code_quartier_etablissement,
        x_laea_50m as x,
        y_laea_50m as y,
        floor(x_laea_50m / {{ bucket }})::bigint as bx,
        floor(y_laea_50m / {{ bucket }})::bigint as by
    from {{ ref('int_abords_scolaires__etablissements') }}
),

incidents as (
    select
        'police_mains_courantes' as source,
        incident_id,
        code_nature as code_categorie,
        {{ paris_local('occurred_at') }} as local_ts,
        x_laea_50m as x,
        y_laea_50m as y
    from {{ ref('stg_police__mains_courantes') }}
    where x_laea_50m is not null and occurred_at is not null
    union all
    select
        'csu_evenements' as source,
        evenement_id as incident_id,
        code_type_evenement as code_categorie,
        {{ paris_local('detecte_le') }} as local_ts,
        x_laea_50m as x,
        y_laea_50m as y
    from {{ ref('stg_csu__evenements') }}
    where x_laea_50m is not null and detecte_le is not null
),

incidents_seaux as (
    select
        *,
        floor(x / {{ bucket }})::bigint as bx,
        floor(y / {{ bucket }})::bigint as by
    from incidents
),

voisins as (
    select
        tx.dx,
        ty.dy
    from range(-1, 2) as tx (dx)
    cross join range(-1, 2) as ty (dy)
),

-- Each incident in its 3x3 neighbouring buckets, as plain columns: joining on expressions of
-- two relations makes DuckDB fall back to a cross product; on columns it keeps a hash join.
incidents_voisins as (
    select
        incidents_seaux.*,
        incidents_seaux.bx + voisins.dx as cible_bx,
        incidents_seaux.by + voisins.dy as cible_by
    from incidents_seaux
    cross join voisins
),

paires as (
    select
        incidents_seaux.source,
        incidents_seaux.incident_id,
        incidents_seaux.code_categorie,
        incidents_seaux.local_ts::date as jour_local,
        (extract(hour from incidents_seaux.local_ts) * 60 + extract(minute from incidents_seaux.local_ts))::integer
            as minute_locale,
        etablissements.uai,
        etablissements.niveau,
        etablissements.code_quartier_etablissement,
        sqrt(power(incidents_seaux.x - etablissements.x, 2) + power(incidents_seaux.y - etablissements.y, 2))
            as distance_m
    from incidents_voisins as incidents_seaux
    inner join etablissements
        on incidents_seaux.cible_bx = etablissements.bx
        and incidents_seaux.cible_by = etablissements.by
)

select
    source,
    incident_id,
    code_categorie,
    jour_local,
    minute_locale,
    uai,
    niveau,
    code_quartier_etablissement,
    distance_m::double as distance_m
from paires
where distance_m <= {{ bucket }}
