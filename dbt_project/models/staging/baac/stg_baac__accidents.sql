-- One row per road accident (BAAC), both ONISR layouts unified, positioned at the quartier.
-- Exact coordinates (latitude/longitude, lat_1e5/long_1e5) and the address stop here.
-- Harmonisation: 2005-2018 two-digit year + 2000, HHMM integer -> hour/minute, commune = dep[1:2] || com,
-- code -1 (non renseigné, 2019+) -> null like the empty cells of 2005-2018, integer coordinates / 1e5.
with anciens as (
    select
        accident_id,
        try_cast(printf('%04d-%02d-%02d', 2000 + an, mois, jour_mois) as date) as date_accident,
        ({{ int_div('hrmn', 100) }})::integer as heure,
        (hrmn % 100)::integer as minute,
        left(dep, 2) || com as code_commune,
        lum,
        lum_libelle,
        agg,
        agg_libelle,
        intersection,
        intersection_libelle,
        atm,
        atm_libelle,
        col,
        col_libelle,
        lat_1e5 / 1e5 as lat_wgs84,
        long_1e5 / 1e5 as lon_wgs84,
        jour,
        '2005-2018' as format_source,
        _provenance as provenance
    from {{ source('bronze', 'baac_caracteristiques_2005_2018') }}
),

recents as (
    select
        accident_id,
        try_cast(printf('%04d-%02d-%02d', an, mois, jour_mois) as date) as date_accident,
        split_part(hrmn, ':', 1)::integer as heure,
        split_part(hrmn, ':', 2)::integer as minute,
        com as code_commune,
        lum,
        lum_libelle,
        agg,
        agg_libelle,
        intersection,
        intersection_libelle,
        atm,
        atm_libelle,
        col,
        col_libelle,
        latitude as lat_wgs84,
        longitude as lon_wgs84,
        jour,
        '2019+' as format_source,
        _provenance as provenance
    from {{ source('bronze', 'baac_caracteristiques') }}
),

accidents as (
    select * from anciens
    union all
    select * from recents
)

select
    accidents.accident_id,
    accidents.date_accident,
    extract(year from accidents.date_accident)::integer as annee,
    accidents.heure,
    accidents.minute,
    accidents.code_commune,
    nullif(accidents.lum, '-1') as code_lum,
    case when accidents.lum <> '-1' then accidents.lum_libelle end as lum,
    accidents.agg as code_agglomeration,
    accidents.agg_libelle as agglomeration,
    nullif(accidents.intersection, '-1') as code_intersection,
    case when accidents.intersection <> '-1' then accidents.intersection_libelle end as intersection,
    nullif(accidents.atm, '-1') as code_atm,
    case when accidents.atm <> '-1' then accidents.atm_libelle end as atm,
    nullif(accidents.col, '-1') as code_collision,
    case when accidents.col <> '-1' then accidents.col_libelle end as collision,
    accidents.jour,
    accidents.format_source,
    -- Declared at ingestion from the file name pattern that matched (feed declaration): a real
    -- ONISR delivery is 'partenaire', the simulator's files 'simule'.
    accidents.provenance,
    quartiers.code_quartier,
    {{ laea_cell_columns('accidents.lon_wgs84', 'accidents.lat_wgs84') }}
from accidents
{{ quartier_join('accidents', 'lon_wgs84', 'lat_wgs84') }}
