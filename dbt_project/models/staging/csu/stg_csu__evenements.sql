{{ config(**incremental_staging('csu_evenements', 'evenement_id')) }}
-- One row per event detected by the video-supervision centre, positioned at the quartier.
-- Exact coordinates and the (redacted) operator comment stop here.
with evenements as (
    select * from {{ source('bronze', 'csu_evenements') }} {{ new_bronze_rows('csu_evenements') }}
)

select
    evenements.evenement_id,
    evenements.detecte_le,
    evenements.jour,
    extract(hour from {{ paris_local('evenements.detecte_le') }})::integer as heure,
    evenements.type_evenement as code_type_evenement,
    evenements.type_evenement_libelle as type_evenement,
    evenements.camera_id,
    evenements.operateur_pseudo,
    evenements.duree_suivi_min::integer as duree_suivi_min,
    evenements.suite_donnee as code_suite_donnee,
    evenements.suite_donnee_libelle as suite_donnee,
    evenements.extraction_images,
    quartiers.code_quartier,
    {{ laea_cell_columns('evenements.longitude', 'evenements.latitude') }}
from evenements
{{ quartier_join('evenements', 'longitude', 'latitude') }}
