-- One row per accident location (BAAC), both ONISR layouts unified.
-- Harmonisation: -1 (non renseigné, 2019+) -> null; 2005-2018 widths in decimetres (text) -> metres.
with anciens as (
    select
        accident_id,
        catr,
        catr_libelle,
        circ,
        nbv::integer as nbv,
        vosp,
        prof,
        plan,
        try_cast(lartpc as double) / 10 as largeur_terre_plein_m,
        try_cast(larrout as double) / 10 as largeur_chaussee_m,
        surf,
        surf_libelle,
        infra,
        situ,
        env1,
        null::integer as vma,
        jour,
        '2005-2018' as format_source
    from {{ source('bronze', 'baac_lieux_2005_2018') }}
),

recents as (
    select
        accident_id,
        catr,
        catr_libelle,
        circ,
        nbv::integer as nbv,
        vosp,
        prof,
        plan,
        lartpc as largeur_terre_plein_m,
        larrout as largeur_chaussee_m,
        surf,
        surf_libelle,
        infra,
        situ,
        null::{{ text_type() }} as env1,
        vma::integer as vma,
        jour,
        '2019+' as format_source
    from {{ source('bronze', 'baac_lieux') }}
),

lieux as (
    select * from anciens
    union all
    select * from recents
)

select
    accident_id,
    nullif(catr, '-1') as code_categorie_route,
    case when catr <> '-1' then catr_libelle end as categorie_route,
    nullif(circ, '-1') as code_regime_circulation,
    case when nbv >= 0 then nbv end as nb_voies,
    nullif(vosp, '-1') as code_voie_reservee,
    nullif(prof, '-1') as code_profil,
    nullif(plan, '-1') as code_trace_plan,
    case when largeur_terre_plein_m >= 0 then largeur_terre_plein_m end as largeur_terre_plein_m,
    case when largeur_chaussee_m >= 0 then largeur_chaussee_m end as largeur_chaussee_m,
    nullif(surf, '-1') as code_surface,
    case when surf <> '-1' then surf_libelle end as surface,
    nullif(infra, '-1') as code_infrastructure,
    nullif(situ, '-1') as code_situation,
    env1 as code_proximite_ecole,
    vma as vitesse_max_autorisee,
    jour,
    format_source
from lieux
