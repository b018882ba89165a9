{{ config(**incremental_staging('eclairage_pannes', ['intervention_id', 'point_lumineux'])) }}
-- One row per repaired street lamp and intervention, positioned at the quartier.
with pannes as (
    select * from {{ source('bronze', 'eclairage_pannes') }} {{ new_bronze_rows('eclairage_pannes') }}
)

select
    pannes.intervention_id,
    pannes.point_lumineux,
    pannes.armoire,
    pannes.type_panne as code_type_panne,
    pannes.type_panne_libelle as type_panne,
    pannes.origine as code_origine,
    pannes.origine_libelle as origine,
    pannes.debut_panne,
    pannes.signale_le,
    pannes.repare_le,
    pannes.jour,
    (date_diff('second', pannes.debut_panne, pannes.repare_le) / {{ double_literal('3600.0') }})::double
        as duree_panne_h,
    pannes.technicien_pseudo,
    quartiers.code_quartier,
    {{ laea_cell_columns('pannes.longitude', 'pannes.latitude') }}
from pannes
{{ quartier_join('pannes', 'longitude', 'latitude') }}
