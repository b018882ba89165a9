-- Real BAAC 2018 vehicles (original layout, codes zero-padded as published), one row per vehicle.
select
    {{ ident('Num_Acc') }}::{{ text_type() }} as accident_id,
    num_veh::{{ text_type() }} as num_veh,
    nullif(trim(catv), '') as code_categorie_vehicule,
    nullif(trim(obsm), '') as code_obstacle_mobile,
    nullif(trim(manv), '') as code_manoeuvre
from {{ reference_csv('baac-2018-marseille/vehicules-2018.csv') }}
