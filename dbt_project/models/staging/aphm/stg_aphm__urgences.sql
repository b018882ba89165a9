-- One row per day, arrondissement of residence and reason of AP-HM emergency visits (aggregated).
with urgences as (
    select * from {{ source('bronze', 'aphm_urgences') }}
)

select
    jour_passage,
    jour,
    arrondissement as code_postal,
    arrondissement_libelle as arrondissement,
    '132' || right(arrondissement, 2) as code_arrondissement,
    motif as code_motif,
    motif_libelle as motif,
    nb_passages::integer as nb_passages,
    nb_hospitalisations::integer as nb_hospitalisations
from urgences
