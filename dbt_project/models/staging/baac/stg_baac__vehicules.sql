-- One row per vehicle involved in an accident (BAAC), both ONISR layouts unified.
-- Harmonisation: -1 (non renseigné, 2019+) -> null; vehicule_id exists only from 2019 on.
with anciens as (
    select
        accident_id,
        null::{{ text_type() }} as vehicule_id,
        num_veh,
        senc,
        catv,
        catv_libelle,
        obs,
        obsm,
        obsm_libelle,
        choc,
        manv,
        null::{{ text_type() }} as motor,
        occutc::integer as occutc,
        jour,
        '2005-2018' as format_source
    from {{ source('bronze', 'baac_vehicules_2005_2018') }}
),

recents as (
    select
        accident_id,
        vehicule_id,
        num_veh,
        senc,
        catv,
        catv_libelle,
        obs,
        obsm,
        obsm_libelle,
        choc,
        manv,
        motor,
        occutc::integer as occutc,
        jour,
        '2019+' as format_source
    from {{ source('bronze', 'baac_vehicules') }}
),

vehicules as (
    select * from anciens
    union all
    select * from recents
)

select
    accident_id,
    vehicule_id,
    num_veh,
    nullif(senc, '-1') as code_sens_circulation,
    nullif(catv, '-1') as code_categorie_vehicule,
    case when catv <> '-1' then catv_libelle end as categorie_vehicule,
    nullif(obs, '-1') as code_obstacle_fixe,
    nullif(obsm, '-1') as code_obstacle_mobile,
    case when obsm <> '-1' then obsm_libelle end as obstacle_mobile,
    nullif(choc, '-1') as code_point_choc,
    nullif(manv, '-1') as code_manoeuvre,
    nullif(motor, '-1') as code_motorisation,
    occutc as nb_occupants_tc,
    jour,
    format_source
from vehicules
