-- Spark target only: each quartier edge once per 0.001° latitude band it spans, the equi-join key
-- of the point-in-polygon test (macros/quartiers.sql, spark__quartier_join).
select
    aretes.code_quartier,
    aretes.lon1,
    aretes.lat1,
    aretes.lon2,
    aretes.lat2,
    bandes.bande
from {{ ref('stg_reference__quartiers_aretes') }} as aretes,
    {{ unnest_list(series(
        'floor(least(aretes.lat1, aretes.lat2) * 1000)', 'floor(greatest(aretes.lat1, aretes.lat2) * 1000)', '1'
    )) }}
        as bandes (bande)
