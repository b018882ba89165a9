{{ config(**incremental_staging('telecom_presence', ['code_quartier', 'heure_debut'])) }}
-- One row per quartier and hour: population present according to the mobile operator (aggregated).
with presence as (
    select * from {{ source('bronze', 'telecom_presence') }} {{ new_bronze_rows('telecom_presence') }}
)

select
    code_quartier,
    heure_debut,
    jour,
    {{ paris_local('heure_debut') }}::date as jour_local,
    extract(hour from {{ paris_local('heure_debut') }})::integer as heure,
    nb_residents::integer as nb_residents,
    nb_visiteurs_france::integer as nb_visiteurs_france,
    nb_visiteurs_etranger::integer as nb_visiteurs_etranger,
    (nb_residents + nb_visiteurs_france + nb_visiteurs_etranger)::integer as nb_presents
from presence
