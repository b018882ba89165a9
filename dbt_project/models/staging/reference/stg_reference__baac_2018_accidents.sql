-- Real BAAC 2018 accidents located in Marseille (reduced third-party copy, see
-- reference/baac-2018-marseille/README.md): one row per accident. The file has no day of
-- month and already decimal lat/long; the exact position stops here (50 m cell + quartier).
with brut as (
    select *
    from {{ reference_csv('baac-2018-marseille/caracteristiques-2018.reduced-lijie97.csv') }}
),

accidents as (
    select
        {{ ident('Num_Acc') }}::{{ text_type() }} as accident_id,
        try_cast({{ ident('mois') }} as integer) as mois,
        -- hrmn is HHMM without leading zeros in the 2005-2018 layout ("830" = 08:30).
        ({{ int_div('try_cast(' ~ ident('hrmn') ~ ' as integer)', 100) }})::integer as heure,
        (try_cast({{ ident('hrmn') }} as integer) % 100)::integer as minute,
        nullif(trim({{ ident('lum') }}), '') as code_lum,
        nullif(trim({{ ident('agg') }}), '') as code_agglomeration,
        nullif(trim({{ ident('int') }}), '') as code_intersection,
        -- atm is written as a float ("1.0") by the third party.
        try_cast(try_cast(nullif(trim({{ ident('atm') }}), '') as double) as integer)::{{ text_type() }} as code_atm,
        try_cast({{ ident('lat') }} as double) as lat_wgs84,
        try_cast({{ ident('long') }} as double) as lon_wgs84
    from brut
)

select
    accidents.accident_id,
    2018 as annee,
    accidents.mois,
    accidents.heure,
    accidents.minute,
    accidents.code_lum,
    accidents.code_agglomeration,
    accidents.code_intersection,
    accidents.code_atm,
    quartiers.code_quartier,
    {{ laea_cell_columns('accidents.lon_wgs84', 'accidents.lat_wgs84') }}
from accidents
{{ quartier_join('accidents', 'lon_wgs84', 'lat_wgs84') }}
