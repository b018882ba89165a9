-- Schools per quartier and level: the reference layer of the school-surroundings map (the
-- denominators an analyst needs before reading incident counts).
select
    etablissements.code_quartier::{{ text_type() }} as code_quartier,
    etablissements.nom_quartier::{{ text_type() }} as nom_quartier,
    etablissements.niveau::{{ text_type() }} as niveau,
    count(*)::bigint as nb_etablissements
from {{ ref('int_abords_scolaires__etablissements') }} as etablissements
group by {{ group_by_all(3) }}
