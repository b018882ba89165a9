-- Schools of the annuaire with their level, quartier and 50 m cell: the places whose
-- surroundings the use case watches (exposure = schools x windows).
select
    etablissements.uai,
    etablissements.niveau,
    etablissements.code_quartier,
    quartiers.nom_quartier,
    etablissements.x_laea_50m,
    etablissements.y_laea_50m
from {{ ref('stg_etablissements_scolaires__etablissements') }} as etablissements
inner join {{ ref('stg_reference__quartiers') }} as quartiers
    on etablissements.code_quartier = quartiers.code_quartier
where etablissements.x_laea_50m is not null
