-- One row per processed delivery: the ledger is the commit point of ingestion.
select
    feed as flux,
    file_name as fichier,
    delivery_date as jour_livraison,
    status as statut,
    rows_read::bigint as lignes_lues,
    rows_written::bigint as lignes_ecrites,
    rows_quarantined::bigint as lignes_quarantaine,
    schema_note is not null and schema_note <> '' as note_schema,
    ingested_at as ingere_le
from {{ source('observatoire', 'deliveries') }}
