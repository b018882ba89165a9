-- Daily counts by quartier, feed and category for the scanned feeds, with the quartier's name and
-- the count of the same cell seven days earlier (the naive "same weekday last week" baseline).
with counts as (
    select * from {{ ref('int_signaux_faibles__comptages_jour') }}
)

select
    counts.jour,
    counts.code_quartier,
    quartiers.nom_quartier::{{ text_type() }} as nom_quartier,
    counts.flux,
    counts.code_categorie,
    counts.categorie,
    counts.nb::bigint as nb_signalements,
    coalesce(last_week.nb, 0)::bigint as nb_j_moins_7
from counts
inner join {{ ref('int_signaux_faibles__quartiers') }} as quartiers
    on counts.code_quartier = quartiers.code_quartier
left join counts as last_week
    on counts.flux = last_week.flux
    and counts.code_categorie = last_week.code_categorie
    and counts.code_quartier = last_week.code_quartier
    and last_week.jour = counts.jour - interval 7 day
