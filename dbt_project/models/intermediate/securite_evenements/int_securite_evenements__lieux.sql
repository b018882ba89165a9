-- One row per venue of the events calendar: its quartier and 50 m cell (the centre of the
-- proximity discs). The venue code identifies a fixed place, so its cell is the same for every event.
select
    code_lieu::{{ text_type() }} as code_lieu,
    min(lieu)::{{ text_type() }} as lieu,
    min(code_quartier)::{{ text_type() }} as code_quartier,
    min(x_laea_50m)::integer as x_laea_50m,
    min(y_laea_50m)::integer as y_laea_50m
from {{ ref('stg_evenements__evenements') }}
where x_laea_50m is not null
group by code_lieu
