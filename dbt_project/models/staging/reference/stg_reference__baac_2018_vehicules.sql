-- Real BAAC 2018 vehicles (original layout, codes zero-padded as published), one row per vehicle.
select
    "Num_Acc"::varchar as accident_id,
    num_veh::varchar as num_veh,
    nullif(trim(catv), '') as code_categorie_vehicule,
    nullif(trim(obsm), '') as code_obstacle_mobile,
    nullif(trim(manv), '') as code_manoeuvre
from read_csv(
    '{{ var("reference_dir") }}/baac-2018-marseille/vehicules-2018.csv',
    header = true, all_varchar = true
)
