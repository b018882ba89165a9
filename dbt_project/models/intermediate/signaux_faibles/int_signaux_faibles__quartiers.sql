-- The 111 quartiers (code, name, arrondissement) without geometry, for the Python scan.
select
    code_quartier::{{ text_type() }} as code_quartier,
    nom_quartier::{{ text_type() }} as nom_quartier,
    arrondissement::{{ text_type() }} as arrondissement
from {{ ref('stg_reference__quartiers') }}
