-- One row per street-market session (market and day), positioned at the quartier.
-- Exact coordinates and the street/square name stop here.
with seances as (
    select * from {{ source('bronze', 'marches') }}
)

select
    seances.marche_id,
    seances.nom as nom_marche,
    seances.jour,
    seances.heure_debut,
    seances.heure_fin,
    split_part(seances.heure_debut, ':', 1)::integer as heure_ouverture,
    split_part(seances.heure_fin, ':', 1)::integer as heure_fermeture,
    seances.type_marche as code_type_marche,
    seances.type_marche_libelle as type_marche,
    seances.nb_etals::integer as nb_etals,
    seances.statut as code_statut,
    seances.statut_libelle as statut,
    quartiers.code_quartier,
    {{ laea_cell_columns('seances.longitude', 'seances.latitude') }}
from seances
{{ quartier_join('seances', 'longitude', 'latitude') }}
