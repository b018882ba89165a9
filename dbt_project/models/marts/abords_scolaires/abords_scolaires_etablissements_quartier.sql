-- Schools per quartier and level: the reference layer of the school-surroundings map (the
-- denominators an analyst needs before reading incident counts).
select
    etablissements.code_quartier::varchar as code_quartier,
    etablissements.nom_quartier::varchar as nom_quartier,
    etablissements.niveau::varchar as niveau,
    count(*)::bigint as nb_etablissements
from {{ ref('int_abords_scolaires__etablissements') }} as etablissements
group by all
