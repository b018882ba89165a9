-- Rain by local hour, city mean over the stations. RR1 on the HH row is the rain of the hour
-- ENDING at HH, so the rain of the hour starting at H is read on the H+1 row.
select
    ({{ paris_local('observe_le') }} - interval 1 hour)::timestamp as heure_locale,
    avg(pluie_mm)::double as pluie_mm
from {{ ref('stg_meteo__observations_horaires') }}
where pluie_mm is not null
group by 1
