-- Complaints of Allô Mairie and of the citizen app, located, with their local day and minute.
select
    'allo_mairie_demandes' as source,
    demande_id as plainte_id,
    code_thematique as code_categorie,
    {{ paris_local('cree_le') }}::date as jour_local,
    (
        extract(hour from {{ paris_local('cree_le') }}) * 60
        + extract(minute from {{ paris_local('cree_le') }})
    )::integer
        as minute_locale,
    x_laea_50m,
    y_laea_50m
from {{ ref('stg_allo_mairie__demandes') }}
where cree_le is not null
union all
select
    'signalements_citoyens' as source,
    signalement_id as plainte_id,
    code_categorie,
    {{ paris_local('cree_le') }}::date as jour_local,
    (
        extract(hour from {{ paris_local('cree_le') }}) * 60
        + extract(minute from {{ paris_local('cree_le') }})
    )::integer
        as minute_locale,
    x_laea_50m,
    y_laea_50m
from {{ ref('stg_signalements_citoyens__signalements') }}
where cree_le is not null
