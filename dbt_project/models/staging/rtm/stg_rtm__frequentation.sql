{{ config(**incremental_staging('rtm_frequentation', ['code_station', 'heure_debut'])) }}
-- One row per metro station and counting hour (entry validations).
with frequentation as (
    select * from {{ source('bronze', 'rtm_frequentation') }} {{ new_bronze_rows('rtm_frequentation') }}
)

select
    code_station,
    code_station_libelle as station,
    ligne as code_ligne,
    ligne_libelle as ligne,
    heure_debut,
    jour,
    extract(hour from {{ paris_local('heure_debut') }})::integer as heure,
    nb_validations::integer as nb_validations
from frequentation
