-- Days each source delivered rows (local days): a day without data is not a day without
-- incidents, so the analytics count exposure only on covered days.
select
    'police_mains_courantes' as source,
    {{ paris_local('occurred_at') }}::date as jour_local,
    count(*)::bigint as nb_lignes
from {{ ref('stg_police__mains_courantes') }}
where occurred_at is not null
group by {{ group_by_all(2) }}
union all
select
    'csu_evenements' as source,
    {{ paris_local('detecte_le') }}::date as jour_local,
    count(*)::bigint as nb_lignes
from {{ ref('stg_csu__evenements') }}
where detecte_le is not null
group by {{ group_by_all(2) }}
