-- Municipal-police interventions counted by local date, local hour and nature: the time series
-- the weather effect on police-recorded accidents is read from (aggregates only).
select
    {{ paris_local('occurred_at') }}::date as date_locale,
    extract(hour from {{ paris_local('occurred_at') }})::integer as heure_locale,
    code_nature,
    count(*)::integer as nb_interventions
from {{ ref('stg_police__mains_courantes') }}
where occurred_at is not null
group by {{ group_by_all(3) }}
