-- One row per lighting outage (an intervention of the maintenance contractor: one row per lamp
-- in staging, so a cabinet failure has many rows). Centre = mean of its lamps' 50 m cells.
-- Local naive times so the analytics can compare them with local clock hours.
-- periode_debut/periode_fin: the days the feed covers (outages are delivered on their repair
-- day, so a night is known to be outage-free only inside this period).
with couverture as (
    select
        min(jour) as periode_debut,
        max(jour) as periode_fin
    from {{ ref('stg_eclairage__pannes') }}
)

select
    pannes.intervention_id,
    count(*)::integer as nb_points_lumineux,
    any_value(pannes.code_type_panne) as code_type_panne,
    mode(pannes.code_quartier) as code_quartier,
    avg(pannes.x_laea_50m)::double as x_centre,
    avg(pannes.y_laea_50m)::double as y_centre,
    {{ paris_local('min(pannes.debut_panne)') }} as debut_local,
    {{ paris_local('max(pannes.repare_le)') }} as fin_local,
    any_value(couverture.periode_debut) as periode_debut,
    any_value(couverture.periode_fin) as periode_fin
from {{ ref('stg_eclairage__pannes') }} as pannes
cross join couverture
where
    pannes.x_laea_50m is not null
    and pannes.debut_panne is not null
    and pannes.repare_le is not null
group by pannes.intervention_id
