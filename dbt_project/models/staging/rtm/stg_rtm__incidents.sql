{{ config(**incremental_staging('rtm_incidents', 'incident_id')) }}
-- One row per incident of the RTM security log, positioned at the quartier.
-- Exact coordinates and the (redacted) free-text comment stop here.
with incidents as (
    select * from {{ source('bronze', 'rtm_incidents') }} {{ new_bronze_rows('rtm_incidents') }}
)

select
    incidents.incident_id,
    incidents.debut_le,
    incidents.fin_le,
    incidents.jour,
    extract(hour from {{ paris_local('incidents.debut_le') }})::integer as heure,
    (date_diff('second', incidents.debut_le, incidents.fin_le) / {{ double_literal('60.0') }})::double as duree_min,
    incidents.nature as code_nature,
    incidents.nature_libelle as nature,
    incidents.ligne as code_ligne,
    incidents.ligne_libelle as ligne,
    incidents.arret as station,
    incidents.impact as code_impact,
    incidents.impact_libelle as impact,
    incidents.agent_pseudo,
    quartiers.code_quartier,
    {{ laea_cell_columns('incidents.longitude', 'incidents.latitude') }}
from incidents
{{ quartier_join('incidents', 'longitude', 'latitude') }}
