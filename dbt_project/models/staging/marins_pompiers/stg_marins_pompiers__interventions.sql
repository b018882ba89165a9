{{ config(**incremental_staging('marins_pompiers_interventions', 'intervention_id')) }}
-- One row per BMPM intervention, positioned at the quartier. Exact coordinates and address stop here.
with interventions as (
    select * from {{ source('bronze', 'marins_pompiers_interventions') }}
    {{ new_bronze_rows('marins_pompiers_interventions') }}
)

select
    interventions.intervention_id,
    interventions.appel_le,
    interventions.depart_le,
    interventions.arrivee_le,
    interventions.fin_le,
    interventions.jour,
    extract(hour from {{ paris_local('interventions.appel_le') }})::integer as heure,
    interventions.motif as code_motif,
    interventions.motif_libelle as motif,
    interventions.centre as centre_secours,
    interventions.nb_victimes::integer as nb_victimes,
    interventions.nb_engins::integer as nb_engins,
    (date_diff('second', interventions.appel_le, interventions.arrivee_le) / {{ double_literal('60.0') }})::double
        as delai_arrivee_min,
    (date_diff('second', interventions.appel_le, interventions.fin_le) / {{ double_literal('60.0') }})::double
        as duree_min,
    quartiers.code_quartier,
    {{ laea_cell_columns('interventions.longitude', 'interventions.latitude') }}
from interventions
{{ quartier_join('interventions', 'longitude', 'latitude') }}
