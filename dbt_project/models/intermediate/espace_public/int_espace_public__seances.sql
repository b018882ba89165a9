-- Market sessions (held or cancelled) with their opening span in local minutes of the day.
select
    marche_id,
    jour,
    code_statut,
    code_type_marche,
    (split_part(heure_debut, ':', 1)::integer * 60 + split_part(heure_debut, ':', 2)::integer) as minute_ouverture,
    (split_part(heure_fin, ':', 1)::integer * 60 + split_part(heure_fin, ':', 2)::integer) as minute_fermeture,
    code_quartier,
    x_laea_50m,
    y_laea_50m
from {{ ref('stg_marches__seances') }}
where x_laea_50m is not null
