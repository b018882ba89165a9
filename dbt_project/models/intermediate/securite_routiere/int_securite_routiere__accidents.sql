-- One row per injury accident, real BAAC 2018 extract and delivered BAAC years (simulated or ONISR)
-- side by side, with the attributes every road-safety analysis needs: the perimetre that
-- separates them, time, lighting, intersection, weather, severity and bicycle involvement.
-- Severe = at least one person killed (grav 2) or hospitalised (grav 3).
with reel as (
    select
        'BAAC 2018 réel' as perimetre,
        'reel' as nature_donnees,
        accident_id,
        annee,
        mois,
        null::date as date_accident,
        heure,
        code_lum,
        code_intersection,
        code_atm,
        code_quartier,
        x_laea_50m,
        y_laea_50m
    from {{ ref('stg_reference__baac_2018_accidents') }}
),

livre as (
    -- Delivered BAAC years: labelled by their declared provenance (recorded at ingestion from
    -- the file name pattern the feed declares), never guessed from the name here.
    select
        case when provenance = 'simule' then 'BAAC simulé ' || annee else 'BAAC ' || annee || ' ONISR' end as perimetre,
        case when provenance = 'simule' then 'simule' else 'reel' end as nature_donnees,
        accident_id,
        annee,
        extract(month from date_accident)::integer as mois,
        date_accident,
        heure,
        code_lum,
        code_intersection,
        code_atm,
        code_quartier,
        x_laea_50m,
        y_laea_50m
    from {{ ref('stg_baac__accidents') }}
    where date_accident is not null
),

accidents as (
    select * from reel
    union all
    select * from livre
),

usagers as (
    select
        accident_id,
        code_gravite
    from {{ ref('stg_reference__baac_2018_usagers') }}
    union all
    select
        accident_id,
        code_gravite
    from {{ ref('stg_baac__usagers') }}
),

gravite as (
    select
        accident_id,
        count(*)::integer as nb_usagers,
        count(*) filter (where code_gravite in ('2', '3'))::integer as nb_tues_hospitalises
    from usagers
    group by accident_id
),

vehicules as (
    select
        accident_id,
        code_categorie_vehicule
    from {{ ref('stg_reference__baac_2018_vehicules') }}
    union all
    select
        accident_id,
        code_categorie_vehicule
    from {{ ref('stg_baac__vehicules') }}
),

velos as (
    -- catv 01 bicycle, 80 e-bike (from 2017 on); codes may come unpadded from some layouts.
    select
        accident_id,
        bool_or({{ ltrim_chars('code_categorie_vehicule', '0') }} in ('1', '80')) as implique_velo,
        count(*)::integer as nb_vehicules
    from vehicules
    group by accident_id
)

select
    accidents.perimetre,
    accidents.nature_donnees,
    accidents.accident_id,
    accidents.annee::integer as annee,
    accidents.mois::integer as mois,
    accidents.date_accident,
    accidents.heure::integer as heure,
    accidents.code_lum,
    accidents.code_intersection,
    accidents.code_atm,
    accidents.code_quartier,
    accidents.x_laea_50m,
    accidents.y_laea_50m,
    case
        when accidents.x_laea_50m is not null
            then {{ carreau_200m('accidents.x_laea_50m', 'accidents.y_laea_50m') }}
    end as carreau_200m,
    coalesce(gravite.nb_usagers, 0) as nb_usagers,
    coalesce(gravite.nb_tues_hospitalises, 0) as nb_tues_hospitalises,
    coalesce(gravite.nb_tues_hospitalises, 0) > 0 as accident_grave,
    coalesce(velos.implique_velo, false) as implique_velo,
    coalesce(velos.nb_vehicules, 0) as nb_vehicules
from accidents
left join gravite
    on accidents.accident_id = gravite.accident_id
left join velos
    on accidents.accident_id = velos.accident_id
