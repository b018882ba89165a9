-- Real BAAC 2018 accidents located in Marseille (reduced third-party copy, see
-- reference/baac-2018-marseille/README.md): one row per accident. The file has no day of
-- month and already decimal lat/long; the exact position stops here (50 m cell + quartier).
with brut as (
    select *
    from read_csv(
        '{{ var("reference_dir") }}/baac-2018-marseille/caracteristiques-2018.reduced-lijie97.csv',
        header = true, all_varchar = true
    )
),

accidents as (
    select
        "Num_Acc"::varchar as accident_id,
        try_cast("mois" as integer) as mois,
        -- hrmn is HHMM without leading zeros in the 2005-2018 layout ("830" = 08:30).
        (try_cast("hrmn" as integer) // 100)::integer as heure,
        (try_cast("hrmn" as integer) % 100)::integer as minute,
        nullif(trim("lum"), '') as code_lum,
        nullif(trim("agg"), '') as code_agglomeration,
        nullif(trim("int"), '') as code_intersection,
        -- atm is written as a float ("1.0") by the third party.
        try_cast(try_cast(nullif(trim("atm"), '') as double) as integer)::varchar as code_atm,
        try_cast("lat" as double) as lat_wgs84,
        try_cast("long" as double) as lon_wgs84
    from brut
),

quartiers as (
    select
        code_quartier,
        geom
    from {{ ref('stg_reference__quartiers') }}
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
left join quartiers
    on st_contains(quartiers.geom, st_point(accidents.lon_wgs84, accidents.lat_wgs84))
