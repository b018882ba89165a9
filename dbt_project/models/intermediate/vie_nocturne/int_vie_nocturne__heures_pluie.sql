-- Rain of each local clock hour. Météo-France's RR1 on the HH row is the rain of the hour ENDING
-- at HH, so the hour starting at local hour h is read from the row observed one hour later;
-- shifting the UTC timestamp before converting keeps DST days right (23 or 25 local hours).
select
    {{ paris_local('observe_le - interval 1 hour') }}::date as jour,
    extract(hour from {{ paris_local('observe_le - interval 1 hour') }})::integer as heure,
    max(pluie_mm)::double as pluie_mm
from {{ ref('stg_meteo__observations_horaires') }}
where pluie_mm is not null
group by {{ group_by_all(2) }}
