-- City-wide complaints per source, local day and category: the day's overall level (weekday,
-- season) the before/after comparisons are adjusted for, and the days each source covered.
select
    source,
    jour_local,
    code_categorie,
    count(*)::bigint as nb_plaintes
from {{ ref('int_espace_public__plaintes') }}
group by {{ group_by_all(3) }}
