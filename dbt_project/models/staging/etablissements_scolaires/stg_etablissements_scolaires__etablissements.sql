-- One row per school (UAI), from the latest monthly snapshot of the Annuaire de l'éducation,
-- positioned at the quartier and the 50 m cell. Exact coordinates stop here.
with instantanes as (
    select
        *,
        row_number() over (partition by uai order by date_instantane desc) as rang_instantane
    from {{ source('bronze', 'etablissements_scolaires') }}
),

etablissements as (
    -- Bronze keeps every monthly snapshot: the latest row of each school describes it today
    -- (a filter on the rank rather than `qualify`, which Spark does not have).
    select * from instantanes
    where rang_instantane = 1
)

select
    etablissements.uai,
    etablissements.nom as nom_etablissement,
    etablissements.type_etablissement as code_type_etablissement,
    etablissements.type_etablissement_libelle as type_etablissement,
    -- The level the school-day rules are declared for (écoles keep Wednesdays off).
    case etablissements.type_etablissement
        when 'Ecole' then 'ecole'
        when 'Collège' then 'college'
        when 'Lycée' then 'lycee'
    end as niveau,
    etablissements.statut as code_statut,
    etablissements.statut_libelle as statut,
    etablissements.code_commune as arrondissement,
    etablissements.etat as code_etat,
    etablissements.date_instantane as instantane_du,
    quartiers.code_quartier,
    {{ laea_cell_columns('etablissements.longitude', 'etablissements.latitude') }}
from etablissements
{{ quartier_join('etablissements', 'longitude', 'latitude') }}
