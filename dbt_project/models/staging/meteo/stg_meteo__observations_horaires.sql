{{ config(**incremental_staging('meteo_horaire', ['num_poste', 'observe_le'])) }}
-- One row per weather station and hour. The station position becomes its quartier.
with observations as (
    select * from {{ source('bronze', 'meteo_horaire') }} {{ new_bronze_rows('meteo_horaire') }}
)

select
    observations.num_poste,
    observations.nom_poste,
    observations.altitude_m::integer as altitude_m,
    observations.heure as observe_le,
    observations.jour,
    {{ paris_local('observations.heure') }}::date as jour_local,
    extract(hour from {{ paris_local('observations.heure') }})::integer as heure_locale,
    observations.pluie_mm,
    observations.temperature_c,
    observations.humidite_pct::integer as humidite_pct,
    observations.vent_ms,
    observations.vent_direction::integer as vent_direction,
    quartiers.code_quartier
from observations
{{ quartier_join('observations', 'longitude', 'latitude') }}
