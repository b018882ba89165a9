-- One row per evaluation of a mart's blocking Great Expectations suite.
select
    mart,
    success as succes,
    evaluated_expectations::bigint as attentes_evaluees,
    unsuccessful_expectations::bigint as attentes_en_echec,
    rows::bigint as lignes,
    nullif(failed_expectations, '') as attentes_echouees,
    evaluated_at as evalue_le,
    {{ paris_local('evaluated_at') }}::date as jour
from {{ source('observatoire', 'quality_gates') }}
