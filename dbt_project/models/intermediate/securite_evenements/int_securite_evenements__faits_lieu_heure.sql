-- Police incidents, fire-brigade interventions and CSU events near each venue, by local hour and
-- 50 m distance ring, up to a fixed covering radius. The use case's declared radius (a parameter
-- read by the Python analytics) then keeps the rings inside it, so changing the doctrine does not
-- need a rebuild and no radius is written twice.
-- Scaling: rows and venues are put in square buckets whose side is the covering radius; a row is
-- only compared with the venues of its own and the 8 neighbouring buckets (an equi-join), never a
-- cross join filtered by distance.
{% set rayon_couvert_m = 1000 %}
with faits as (
    select
        'police_mains_courantes' as source,
        {{ paris_local('occurred_at') }} as horodatage_local,
        x_laea_50m,
        y_laea_50m
    from {{ ref('stg_police__mains_courantes') }}
    where x_laea_50m is not null
    union all
    select
        'marins_pompiers_interventions' as source,
        {{ paris_local('appel_le') }} as horodatage_local,
        x_laea_50m,
        y_laea_50m
    from {{ ref('stg_marins_pompiers__interventions') }}
    where x_laea_50m is not null
    union all
    select
        'csu_evenements' as source,
        {{ paris_local('detecte_le') }} as horodatage_local,
        x_laea_50m,
        y_laea_50m
    from {{ ref('stg_csu__evenements') }}
    where x_laea_50m is not null
),

faits_seau as (
    select
        source,
        date_trunc('hour', horodatage_local) as heure_locale,
        x_laea_50m,
        y_laea_50m,
        floor(x_laea_50m / {{ rayon_couvert_m }})::bigint as seau_x,
        floor(y_laea_50m / {{ rayon_couvert_m }})::bigint as seau_y
    from faits
),

-- Each venue is listed in its own bucket and the 8 around it.
lieux_seau as (
    select
        lieux.code_lieu,
        lieux.x_laea_50m,
        lieux.y_laea_50m,
        floor(lieux.x_laea_50m / {{ rayon_couvert_m }})::bigint + voisins_x.d as seau_x,
        floor(lieux.y_laea_50m / {{ rayon_couvert_m }})::bigint + voisins_y.d as seau_y
    from {{ ref('int_securite_evenements__lieux') }} as lieux
    cross join (values (-1), (0), (1)) as voisins_x (d)
    cross join (values (-1), (0), (1)) as voisins_y (d)
),

proches as (
    select
        lieux_seau.code_lieu,
        faits_seau.source,
        faits_seau.heure_locale,
        sqrt(
            power(faits_seau.x_laea_50m - lieux_seau.x_laea_50m, 2)
            + power(faits_seau.y_laea_50m - lieux_seau.y_laea_50m, 2)
        ) as distance_m
    from faits_seau
    inner join lieux_seau
        on faits_seau.seau_x = lieux_seau.seau_x
        and faits_seau.seau_y = lieux_seau.seau_y
)

select
    code_lieu::{{ text_type() }} as code_lieu,
    source::{{ text_type() }} as source,
    heure_locale::timestamp as heure_locale,
    -- Upper bound of the 50 m ring: 50 holds distances in [0, 50], 100 in ]50, 100]...
    (greatest(ceil(distance_m / 50), 1) * 50)::integer as distance_max_m,
    count(*)::bigint as nb_faits,
    {{ rayon_couvert_m }}::integer as rayon_couvert_m
from proches
where distance_m <= {{ rayon_couvert_m }}
group by {{ group_by_all(4) }}
