{{ config(**incremental_staging('police_mains_courantes', 'incident_id')) }}
-- One row per intervention, positioned at the quartier. Exact coordinates stop here.
with incidents as (
    select * from {{ source('bronze', 'police_mains_courantes') }} {{ new_bronze_rows('police_mains_courantes') }}
)

select
    incidents.incident_id,
    incidents.occurred_at,
    incidents.jour,
    extract(hour from {{ paris_local('incidents.occurred_at') }})::integer as heure,
    incidents.code_nature,
    incidents.code_nature_libelle as categorie,
    incidents.agent_pseudo,
    quartiers.code_quartier,
    {{ laea_cell_columns('incidents.longitude', 'incidents.latitude') }}
from incidents
{{ quartier_join('incidents', 'longitude', 'latitude') }}
