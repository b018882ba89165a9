-- Interventions by quartier x day x category: the grain city services plan with.
select
    incidents.jour::date as jour,
    incidents.code_quartier::{{ text_type() }} as code_quartier,
    quartiers.nom_quartier::{{ text_type() }} as nom_quartier,
    quartiers.arrondissement::{{ text_type() }} as arrondissement,
    incidents.categorie::{{ text_type() }} as categorie,
    count(*)::bigint as nb_incidents
from {{ ref('stg_police__mains_courantes') }} as incidents
inner join {{ ref('stg_reference__quartiers') }} as quartiers
    on incidents.code_quartier = quartiers.code_quartier
group by {{ group_by_all(5) }}
