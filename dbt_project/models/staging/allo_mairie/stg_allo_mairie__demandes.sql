{{ config(**incremental_staging('allo_mairie_demandes', 'demande_id')) }}
-- One row per Allô Mairie request, positioned at the quartier.
-- Exact coordinates and the (redacted) free-text description stop here.
with demandes as (
    select * from {{ source('bronze', 'allo_mairie_demandes') }} {{ new_bronze_rows('allo_mairie_demandes') }}
)

select
    demandes.demande_id,
    demandes.cree_le,
    demandes.jour,
    extract(hour from {{ paris_local('demandes.cree_le') }})::integer as heure,
    demandes.thematique as code_thematique,
    demandes.thematique_libelle as thematique,
    demandes.canal as code_canal,
    demandes.canal_libelle as canal,
    demandes.statut as code_statut,
    demandes.statut_libelle as statut,
    demandes.cloture_le,
    (date_diff('second', demandes.cree_le, demandes.cloture_le) / {{ double_literal('3600.0') }})::double
        as delai_cloture_h,
    quartiers.code_quartier,
    {{ laea_cell_columns('demandes.longitude', 'demandes.latitude') }}
from demandes
{{ quartier_join('demandes', 'longitude', 'latitude') }}
