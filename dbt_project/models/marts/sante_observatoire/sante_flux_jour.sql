-- Per feed and delivery day: what arrived, what was rejected, what was quarantined.
select
    flux::{{ text_type() }} as flux,
    jour_livraison::date as jour,
    count(*)::bigint as nb_livraisons,
    count(*) filter (where statut = 'rejected')::bigint as nb_rejets,
    coalesce(sum(lignes_lues), 0)::bigint as lignes_lues,
    coalesce(sum(lignes_ecrites), 0)::bigint as lignes_ecrites,
    coalesce(sum(lignes_quarantaine), 0)::bigint as lignes_quarantaine,
    (coalesce(sum(lignes_quarantaine), 0) / greatest(coalesce(sum(lignes_lues), 0), 1))::double as taux_quarantaine
from {{ ref('stg_observatoire__livraisons') }}
where jour_livraison is not null
group by {{ group_by_all(2) }}
