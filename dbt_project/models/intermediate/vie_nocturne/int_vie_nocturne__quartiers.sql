-- The 111 quartiers (code, name, arrondissement) without geometry, for the Python analytics.
select
    code_quartier::varchar as code_quartier,
    nom_quartier::varchar as nom_quartier,
    arrondissement::varchar as arrondissement
from {{ ref('stg_reference__quartiers') }}
