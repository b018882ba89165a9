-- First and last local hour each source has data for: excess and baselines only use hours inside
-- it, and events starting after the last common day are the "planned" ones.
select
    'police_mains_courantes'::{{ text_type() }} as source,
    min(date_trunc('hour', {{ paris_local('occurred_at') }}))::timestamp as premiere_heure_locale,
    max(date_trunc('hour', {{ paris_local('occurred_at') }}))::timestamp as derniere_heure_locale
from {{ ref('stg_police__mains_courantes') }}
union all
select
    'marins_pompiers_interventions' as source,
    min(date_trunc('hour', {{ paris_local('appel_le') }}))::timestamp as premiere_heure_locale,
    max(date_trunc('hour', {{ paris_local('appel_le') }}))::timestamp as derniere_heure_locale
from {{ ref('stg_marins_pompiers__interventions') }}
union all
select
    'csu_evenements' as source,
    min(date_trunc('hour', {{ paris_local('detecte_le') }}))::timestamp as premiere_heure_locale,
    max(date_trunc('hour', {{ paris_local('detecte_le') }}))::timestamp as derniere_heure_locale
from {{ ref('stg_csu__evenements') }}
