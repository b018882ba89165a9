-- Quarantined rows reduced to feed, file, day and reason codes: the row content (record) stays in
-- the restricted layer. One row per (row, reason): a row failing two checks counts for both.
select
    feed as flux,
    source_file as fichier,
    {{ paris_local('quarantined_at') }}::date as jour_quarantaine,
    trim(motif) as code_motif
from {{ source('observatoire', 'quarantine_rows') }},
    {{ unnest_list(split_list('reason_codes', ',')) }} as motifs (motif)
