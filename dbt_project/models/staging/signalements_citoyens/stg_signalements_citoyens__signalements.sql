{{ config(**incremental_staging('signalements_citoyens', 'signalement_id')) }}
-- One row per citizen report, positioned at the quartier.
-- Exact phone position and the (redacted) free-text description stop here.
with signalements as (
    select * from {{ source('bronze', 'signalements_citoyens') }} {{ new_bronze_rows('signalements_citoyens') }}
)

select
    signalements.signalement_id,
    signalements.cree_le,
    signalements.jour,
    extract(hour from {{ paris_local('signalements.cree_le') }})::integer as heure,
    signalements.categorie as code_categorie,
    signalements.categorie_libelle as categorie,
    signalements.precision_m::integer as precision_m,
    signalements.avec_photo,
    signalements.utilisateur_pseudo,
    signalements.statut as code_statut,
    signalements.statut_libelle as statut,
    quartiers.code_quartier,
    {{ laea_cell_columns('signalements.longitude', 'signalements.latitude') }}
from signalements
{{ quartier_join('signalements', 'longitude', 'latitude') }}
