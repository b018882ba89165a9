-- Real BAAC 2018 accident locations (original 2005-2018 layout), one row per accident.
select
    {{ ident('Num_Acc') }}::{{ text_type() }} as accident_id,
    nullif(trim(catr), '') as code_categorie_route,
    nullif(trim(circ), '') as code_regime_circulation,
    try_cast(nbv as integer) as nb_voies,
    nullif(trim(vosp), '') as code_voie_reservee,
    nullif(trim(prof), '') as code_profil,
    nullif(trim(plan), '') as code_trace_plan,
    nullif(trim(surf), '') as code_surface,
    nullif(trim(infra), '') as code_infrastructure,
    nullif(trim(situ), '') as code_situation
from {{ reference_csv('baac-2018-marseille/lieux-2018.csv') }}
