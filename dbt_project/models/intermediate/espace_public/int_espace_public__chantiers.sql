-- Road-works orders with their dates, restriction and 50 m cell: the worksites whose
-- surroundings the use case watches.
select
    arrete_id,
    debut,
    fin,
    nb_jours,
    code_nature,
    code_restriction,
    code_quartier,
    x_laea_50m,
    y_laea_50m
from {{ ref('stg_voirie__chantiers') }}
where x_laea_50m is not null and debut is not null and fin is not null and fin >= debut
