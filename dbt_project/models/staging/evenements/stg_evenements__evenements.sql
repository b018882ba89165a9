-- One row per event of the city calendar, positioned at the quartier of its venue.
-- Exact coordinates, free-text title and organiser stop here (the venue code identifies the place).
with evenements as (
    select * from {{ source('bronze', 'evenements') }}
)

select
    evenements.evenement_id,
    evenements.type_evenement as code_type_evenement,
    evenements.type_evenement_libelle as type_evenement,
    evenements.lieu as code_lieu,
    evenements.lieu_libelle as lieu,
    evenements.debut,
    evenements.fin,
    evenements.jour,
    {{ paris_local('evenements.debut') }}::date as jour_debut,
    {{ paris_local('evenements.fin') }}::date as jour_fin,
    extract(hour from {{ paris_local('evenements.debut') }})::integer as heure_debut,
    evenements.jauge_attendue::integer as jauge_attendue,
    evenements.statut as code_statut,
    evenements.statut_libelle as statut,
    quartiers.code_quartier,
    {{ laea_cell_columns('evenements.longitude', 'evenements.latitude') }}
from evenements
{{ quartier_join('evenements', 'longitude', 'latitude') }}
