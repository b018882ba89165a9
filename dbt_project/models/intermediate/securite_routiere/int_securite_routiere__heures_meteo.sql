-- Rain by local clock hour, the hour STARTING at heure_locale: Météo-France's RR1 on the HH row
-- is the rain of the hour ending at HH, so the row observed at T describes the hour [T-1h, T).
-- Accidents at hh:mm are matched to the hour starting at hh. Several stations are averaged.
select
    {{ paris_local('observe_le - interval 1 hour') }}::date as date_locale,
    extract(hour from {{ paris_local('observe_le - interval 1 hour') }})::integer as heure_locale,
    avg(pluie_mm)::double as pluie_mm,
    count(*)::integer as nb_observations
from {{ ref('stg_meteo__observations_horaires') }}
where pluie_mm is not null
group by {{ group_by_all(2) }}
