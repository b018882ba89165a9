-- One row per road-occupation order (arrêté), positioned at the quartier.
-- Exact coordinates, address and applicant stop here.
with chantiers as (
    select * from {{ source('bronze', 'voirie_chantiers') }}
)

select
    chantiers.arrete_id,
    chantiers.arrete_le,
    chantiers.debut,
    chantiers.fin,
    chantiers.jour,
    (chantiers.fin - chantiers.debut + 1)::integer as nb_jours,
    chantiers.nature as code_nature,
    chantiers.nature_libelle as nature,
    chantiers.restriction as code_restriction,
    chantiers.restriction_libelle as restriction,
    chantiers.voies_neutralisees::integer as voies_neutralisees,
    chantiers.emprise_m2,
    quartiers.code_quartier,
    {{ laea_cell_columns('chantiers.longitude', 'chantiers.latitude') }}
from chantiers
{{ quartier_join('chantiers', 'longitude', 'latitude') }}
