-- Injury accidents by perimetre (real 2018 / each simulated year) and quartier, every quartier
-- listed (zero when none), with the quartier's area so rates are per km² and per year.
with quartiers as (
    select
        code_quartier,
        nom_quartier,
        arrondissement,
        {{ laea_area_m2('geom') }} / 1e6 as surface_km2
    from {{ ref('stg_reference__quartiers') }}
),

accidents as (
    select * from {{ ref('int_securite_routiere__accidents') }}
),

perimetres as (
    select
        perimetre,
        count(distinct annee) as nb_annees
    from accidents
    group by perimetre
),

comptes as (
    select
        perimetre,
        code_quartier,
        count(*) as nb_accidents,
        count(*) filter (where accident_grave) as nb_accidents_graves,
        count(*) filter (where code_lum in ('3', '4', '5')) as nb_accidents_nuit,
        count(*) filter (where implique_velo) as nb_accidents_velo
    from accidents
    where code_quartier is not null
    group by {{ group_by_all(2) }}
)

select
    perimetres.perimetre::{{ text_type() }} as perimetre,
    quartiers.code_quartier::{{ text_type() }} as code_quartier,
    quartiers.nom_quartier::{{ text_type() }} as nom_quartier,
    quartiers.arrondissement::{{ text_type() }} as arrondissement,
    quartiers.surface_km2::double as surface_km2,
    perimetres.nb_annees::integer as nb_annees,
    coalesce(comptes.nb_accidents, 0)::bigint as nb_accidents,
    coalesce(comptes.nb_accidents_graves, 0)::bigint as nb_accidents_graves,
    coalesce(comptes.nb_accidents_nuit, 0)::bigint as nb_accidents_nuit,
    coalesce(comptes.nb_accidents_velo, 0)::bigint as nb_accidents_velo,
    (coalesce(comptes.nb_accidents, 0) / quartiers.surface_km2 / perimetres.nb_annees)::double as taux_brut_km2_an
from perimetres
cross join quartiers
left join comptes
    on perimetres.perimetre = comptes.perimetre
    and quartiers.code_quartier = comptes.code_quartier
