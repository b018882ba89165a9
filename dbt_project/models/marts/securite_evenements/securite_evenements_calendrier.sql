-- The events calendar as the events service plans with it: local times, attendance, venue, and
-- whether the event is already observed (it started on or before the last day every source covers)
-- or still planned (the forecasts and staffing of the other marts are for those).
with couverture as (
    select min(derniere_heure_locale)::date as dernier_jour_observe
    from {{ ref('int_securite_evenements__couverture') }}
)

select
    evenements.evenement_id::varchar as evenement_id,
    evenements.code_type_evenement::varchar as code_type_evenement,
    evenements.type_evenement::varchar as type_evenement,
    evenements.code_lieu::varchar as code_lieu,
    evenements.lieu::varchar as lieu,
    evenements.code_quartier::varchar as code_quartier,
    timezone('Europe/Paris', evenements.debut)::timestamp as debut_local,
    timezone('Europe/Paris', evenements.fin)::timestamp as fin_local,
    evenements.jour_debut::date as jour_debut,
    evenements.jour_fin::date as jour_fin,
    evenements.jauge_attendue::integer as jauge_attendue,
    evenements.code_statut::varchar as code_statut,
    (evenements.jour_debut > couverture.dernier_jour_observe)::boolean as planifie,
    couverture.dernier_jour_observe::date as dernier_jour_observe
from {{ ref('stg_evenements__evenements') }} as evenements
cross join couverture
