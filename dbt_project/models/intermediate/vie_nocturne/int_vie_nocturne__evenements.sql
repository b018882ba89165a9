-- Planned (not cancelled) events and the quartiers near their venue, with local start/end: the
-- Python analytics mark the quartier nights an event touches (within the declared radius) and
-- leave them out of the zone ratios. Events x quartiers is small (a few hundred events a year x
-- 111 quartiers), so the distance is computed for every pair, capped at 3 km
-- (macros/quartiers.sql: DuckDB's st_distance, plain SQL on Spark).
with evenements as (
    select *
    from {{ ref('stg_evenements__evenements') }}
    where code_statut = 'PREVU' and debut is not null and fin is not null and x_laea_50m is not null
),

distances as (
    {{ quartier_distances('evenements', 'x_laea_50m', 'y_laea_50m', 3000) }}
)

select
    evenements.evenement_id::{{ text_type() }} as evenement_id,
    evenements.code_quartier::{{ text_type() }} as code_quartier_lieu,
    distances.code_quartier::{{ text_type() }} as code_quartier,
    distances.distance_m::double as distance_m,
    evenements.code_type_evenement::{{ text_type() }} as code_type_evenement,
    {{ paris_local('evenements.debut') }}::timestamp as debut_local,
    {{ paris_local('evenements.fin') }}::timestamp as fin_local,
    evenements.jauge_attendue::integer as jauge_attendue
from evenements
inner join distances
    on evenements.x_laea_50m = distances.x and evenements.y_laea_50m = distances.y
