-- Interventions by quartier x day x category: the grain city services plan with.
select
    incidents.jour::date as jour,
    incidents.code_quartier::varchar as code_quartier,
    quartiers.nom_quartier::varchar as nom_quartier,
    quartiers.arrondissement::varchar as arrondissement,
    incidents.categorie::varchar as categorie,
    count(*)::bigint as nb_incidents
from {{ ref('stg_police__mains_courantes') }} as incidents
inner join {{ ref('stg_reference__quartiers') }} as quartiers
    using (code_quartier)
group by all
