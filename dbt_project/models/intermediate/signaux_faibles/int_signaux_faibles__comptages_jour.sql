-- Daily counts by feed, category and quartier for the feeds scanned for weak signals
-- (non-zero cells only: the Python scan fills the zeros over the declared calendar).
with rows as (
    select
        'police_mains_courantes' as flux,
        code_nature as code_categorie,
        categorie,
        code_quartier,
        jour
    from {{ ref('stg_police__mains_courantes') }}
    union all
    select
        'allo_mairie_demandes' as flux,
        code_thematique as code_categorie,
        thematique as categorie,
        code_quartier,
        jour
    from {{ ref('stg_allo_mairie__demandes') }}
    union all
    select
        'signalements_citoyens' as flux,
        code_categorie,
        categorie,
        code_quartier,
        jour
    from {{ ref('stg_signalements_citoyens__signalements') }}
)

select
    flux::{{ text_type() }} as flux,
    code_categorie::{{ text_type() }} as code_categorie,
    categorie::{{ text_type() }} as categorie,
    code_quartier::{{ text_type() }} as code_quartier,
    jour::date as jour,
    count(*)::bigint as nb
from rows
where code_quartier is not null and code_categorie is not null and jour is not null
group by {{ group_by_all(5) }}
