-- Every occupation of public space by local day: active worksites (all day), held market
-- sessions (opening hours) and planned events (their hours on that day), with the local time
-- span they hold the street and their 50 m cell. One row per occupation and day.
with chantiers as (
    select
        'chantier' as type_occupation,
        arrete_id as occupation_id,
        jour_actif::date as jour,
        jour_actif::timestamp as debut_local,
        jour_actif::timestamp + interval 1 day as fin_local,
        code_restriction as code_detail,
        code_quartier,
        x_laea_50m,
        y_laea_50m
    from {{ ref('int_espace_public__chantiers') }},
        {{ unnest_list(series('debut::timestamp', 'fin::timestamp', 'interval 1 day')) }} as t (jour_actif)
),

marches as (
    select
        'marche' as type_occupation,
        marche_id as occupation_id,
        jour,
        jour::timestamp + minute_ouverture * interval 1 minute as debut_local,
        jour::timestamp + minute_fermeture * interval 1 minute as fin_local,
        code_type_marche as code_detail,
        code_quartier,
        x_laea_50m,
        y_laea_50m
    from {{ ref('int_espace_public__seances') }}
    where code_statut = 'TENU'
),

evenements_locaux as (
    select
        evenement_id,
        code_type_evenement,
        {{ paris_local('debut') }} as debut_local,
        {{ paris_local('fin') }} as fin_local,
        code_quartier,
        x_laea_50m,
        y_laea_50m
    from {{ ref('stg_evenements__evenements') }}
    where code_statut = 'PREVU' and x_laea_50m is not null and debut is not null and fin is not null
),

evenements as (
    select
        'evenement' as type_occupation,
        evenement_id as occupation_id,
        jour_actif::date as jour,
        greatest(debut_local, jour_actif::timestamp) as debut_local,
        least(fin_local, jour_actif::timestamp + interval 1 day) as fin_local,
        code_type_evenement as code_detail,
        code_quartier,
        x_laea_50m,
        y_laea_50m
    from evenements_locaux,
        {{ unnest_list(series("date_trunc('day', debut_local)", "date_trunc('day', fin_local)", 'interval 1 day')) }}
            as t (jour_actif)
)

select * from chantiers
union all
select * from marches
union all
select * from evenements
where fin_local > debut_local
