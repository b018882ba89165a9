-- One row per event of the city calendar, positioned at the quartier of its venue.
-- Exact coordinates, free-text title and organiser stop here (the venue code identifies the place).
with evenements as (
    select * from {{ source('bronze', 'evenements') }}
),

quartiers as (
    select
        code_quartier,
        geom
    from {{ ref('stg_reference__quartiers') }}
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
    timezone('Europe/Paris', evenements.debut)::date as jour_debut,
    timezone('Europe/Paris', evenements.fin)::date as jour_fin,
    extract(hour from timezone('Europe/Paris', evenements.debut))::integer as heure_debut,
    evenements.jauge_attendue::integer as jauge_attendue,
    evenements.statut as code_statut,
    evenements.statut_libelle as statut,
    quartiers.code_quartier,
    {{ laea_cell_columns('evenements.longitude', 'evenements.latitude') }}
from evenements
left join quartiers
    on st_contains(quartiers.geom, st_point(evenements.longitude, evenements.latitude))
