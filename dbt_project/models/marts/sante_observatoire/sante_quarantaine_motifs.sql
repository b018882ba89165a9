-- Per feed and reason: how many rows each contract check sent to quarantine, and when.
select
    flux::{{ text_type() }} as flux,
    code_motif::{{ text_type() }} as code_motif,
    count(*)::bigint as nb_lignes,
    count(distinct fichier)::bigint as nb_fichiers,
    min(jour_quarantaine)::date as premier_jour,
    max(jour_quarantaine)::date as dernier_jour
from {{ ref('stg_observatoire__quarantaine') }}
group by {{ group_by_all(2) }}
