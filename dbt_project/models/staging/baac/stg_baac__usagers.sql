-- One row per person involved in an accident (BAAC), both ONISR layouts unified.
-- The birth year stops here: it becomes an age class. Harmonisation: pedestrian place 0 (2005-2018)
-- -> 10 (2019+); two-digit 'secu' (equipment, used?) -> equipment code when used, 0 when not, 8 when
-- undeterminable; -1 (non renseigné, 2019+) -> null.
with anciens as (
    select
        accident_id,
        null::{{ text_type() }} as vehicule_id,
        num_veh,
        case when place = '0' then '10' else place end as place,
        catu,
        catu_libelle,
        grav,
        grav_libelle,
        sexe,
        sexe_libelle,
        an_nais,
        trajet,
        case right(secu, 1)
            when '1' then left(secu, 1)
            when '2' then '0'
            when '3' then '8'
        end as secu1,
        locp,
        actp,
        etatp,
        jour,
        '2005-2018' as format_source
    from {{ source('bronze', 'baac_usagers_2005_2018') }}
),

recents as (
    select
        accident_id,
        vehicule_id,
        num_veh,
        place,
        catu,
        catu_libelle,
        grav,
        grav_libelle,
        sexe,
        sexe_libelle,
        an_nais,
        trajet,
        secu1,
        locp,
        actp,
        etatp,
        jour,
        '2019+' as format_source
    from {{ source('bronze', 'baac_usagers') }}
),

usagers as (
    select * from anciens
    union all
    select * from recents
),

accidents as (
    select
        accident_id,
        annee
    from {{ ref('stg_baac__accidents') }}
)

select
    usagers.accident_id,
    usagers.vehicule_id,
    usagers.num_veh,
    usagers.place,
    usagers.catu as code_categorie_usager,
    usagers.catu_libelle as categorie_usager,
    nullif(usagers.grav, '-1') as code_gravite,
    case when usagers.grav <> '-1' then usagers.grav_libelle end as gravite,
    nullif(usagers.sexe, '-1') as code_sexe,
    case when usagers.sexe <> '-1' then usagers.sexe_libelle end as sexe,
    case
        when accidents.annee is null or usagers.an_nais is null then null
        when accidents.annee - usagers.an_nais < 18 then '0-17'
        when accidents.annee - usagers.an_nais < 25 then '18-24'
        when accidents.annee - usagers.an_nais < 45 then '25-44'
        when accidents.annee - usagers.an_nais < 65 then '45-64'
        else '65+'
    end as classe_age,
    nullif(usagers.trajet, '-1') as code_trajet,
    nullif(usagers.secu1, '-1') as code_equipement_securite,
    nullif(usagers.locp, '-1') as code_localisation_pieton,
    nullif(usagers.actp, '-1') as code_action_pieton,
    nullif(usagers.etatp, '-1') as code_etat_pieton,
    usagers.jour,
    usagers.format_source
from usagers
left join accidents
    on usagers.accident_id = accidents.accident_id
