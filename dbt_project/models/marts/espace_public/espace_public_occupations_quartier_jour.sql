-- Occupations of public space per quartier and local day: active worksites (and those that
-- restrict traffic or parking), held market sessions and planned events.
select
    occupations.jour::date as jour,
    occupations.code_quartier::{{ text_type() }} as code_quartier,
    quartiers.nom_quartier::{{ text_type() }} as nom_quartier,
    count(*) filter (where occupations.type_occupation = 'chantier')::bigint as nb_chantiers_actifs,
    count(*) filter (where occupations.type_occupation = 'chantier' and occupations.code_detail <> 'AUCUNE')::bigint
        as nb_chantiers_restrictifs,
    count(*) filter (where occupations.type_occupation = 'marche')::bigint as nb_seances_marche,
    count(*) filter (where occupations.type_occupation = 'evenement')::bigint as nb_evenements
from {{ ref('int_espace_public__occupations_jour') }} as occupations
inner join {{ ref('stg_reference__quartiers') }} as quartiers
    on occupations.code_quartier = quartiers.code_quartier
group by {{ group_by_all(3) }}
