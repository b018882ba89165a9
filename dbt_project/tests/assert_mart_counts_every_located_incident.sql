{{ config(meta={"dagster": {"ref": {"name": "incidents_quartier_jour"}}}) }}
-- Reconciliation: the mart counts every located staging row, no more, no less.
with staged as (
    select count(*) as n from {{ ref('stg_police__mains_courantes') }}
    where code_quartier is not null
),

published as (
    select coalesce(sum(nb_incidents), 0) as n from {{ ref('incidents_quartier_jour') }}
)

select
    staged.n as staged,
    published.n as published
from staged, published
where staged.n <> published.n
