-- One row per weather station and hour. The station position becomes its quartier.
with observations as (
    select * from {{ source('bronze', 'meteo_horaire') }}
),

quartiers as (
    select
        code_quartier,
        geom
    from {{ ref('stg_reference__quartiers') }}
)

select
    observations.num_poste,
    observations.nom_poste,
    observations.altitude_m::integer as altitude_m,
    observations.heure as observe_le,
    observations.jour,
    timezone('Europe/Paris', observations.heure)::date as jour_local,
    extract(hour from timezone('Europe/Paris', observations.heure))::integer as heure_locale,
    observations.pluie_mm,
    observations.temperature_c,
    observations.humidite_pct::integer as humidite_pct,
    observations.vent_ms,
    observations.vent_direction::integer as vent_direction,
    quartiers.code_quartier
from observations
left join quartiers
    on st_contains(quartiers.geom, st_point(observations.longitude, observations.latitude))
