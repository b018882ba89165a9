select
    code_qua::varchar as code_quartier,
    nom::varchar as nom_quartier,
    "DEPCO"::varchar as arrondissement,
    geom
from st_read('{{ var("reference_dir") }}/quartiers-marseille.geojson')
