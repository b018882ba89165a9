-- Located rows of the hourly feeds that carry night-life categories, counted by feed, category,
-- quartier, local day and local hour. Every category is kept: which ones are "night life" and
-- which hours are "night" are declared parameters the Python analytics read.
with rows as (
    select
        'police_mains_courantes' as flux,
        code_nature as code_categorie,
        categorie,
        code_quartier,
        jour,
        heure
    from {{ ref('stg_police__mains_courantes') }}
    union all
    select
        'marins_pompiers_interventions' as flux,
        code_motif as code_categorie,
        motif as categorie,
        code_quartier,
        jour,
        heure
    from {{ ref('stg_marins_pompiers__interventions') }}
    union all
    select
        'csu_evenements' as flux,
        code_type_evenement as code_categorie,
        type_evenement as categorie,
        code_quartier,
        jour,
        heure
    from {{ ref('stg_csu__evenements') }}
    union all
    select
        'allo_mairie_demandes' as flux,
        code_thematique as code_categorie,
        thematique as categorie,
        code_quartier,
        jour,
        heure
    from {{ ref('stg_allo_mairie__demandes') }}
)

select
    flux::{{ text_type() }} as flux,
    code_categorie::{{ text_type() }} as code_categorie,
    categorie::{{ text_type() }} as categorie,
    code_quartier::{{ text_type() }} as code_quartier,
    jour::date as jour,
    heure::integer as heure,
    count(*)::bigint as nb_incidents
from rows
where code_quartier is not null and code_categorie is not null and jour is not null and heure is not null
group by {{ group_by_all(6) }}
