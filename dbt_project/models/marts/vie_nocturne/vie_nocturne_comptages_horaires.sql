-- Counts by local day, hour, quartier, feed and category, with the night each hour belongs to
-- (hours before noon belong to the previous evening: Friday 01:00 is Thursday's night).
select
    counts.jour,
    counts.heure,
    (case when counts.heure < 12 then counts.jour - interval 1 day else counts.jour end)::date as jour_nuit,
    counts.code_quartier,
    quartiers.nom_quartier::{{ text_type() }} as nom_quartier,
    counts.flux,
    counts.code_categorie,
    counts.categorie,
    counts.nb_incidents
from {{ ref('int_vie_nocturne__comptages_horaires') }} as counts
inner join {{ ref('int_vie_nocturne__quartiers') }} as quartiers
    on counts.code_quartier = quartiers.code_quartier
