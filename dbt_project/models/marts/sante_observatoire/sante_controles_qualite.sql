-- Per mart and day: gate evaluations and failures. The verdicts of a refresh are logged after
-- dbt builds this mart, so it shows the evaluations up to the previous refresh.
select
    mart::{{ text_type() }} as mart,
    jour::date as jour,
    count(*)::bigint as nb_evaluations,
    count(*) filter (where not succes)::bigint as nb_echecs,
    {{ arg_max('succes', 'evalue_le') }}::boolean as dernier_succes,
    {{ arg_max('lignes', 'evalue_le') }}::bigint as dernieres_lignes,
    max(attentes_evaluees)::bigint as attentes_evaluees,
    string_agg(distinct attentes_echouees, ',')::{{ text_type() }} as attentes_echouees
from {{ ref('stg_observatoire__verdicts_qualite') }}
group by {{ group_by_all(2) }}
