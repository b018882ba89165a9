-- The events calendar as the events service plans with it: local times, attendance, venue, and
-- whether the event is already observed (it started on or before the last day every source covers)
-- or still planned (the forecasts and staffing of the other marts are for those).
with couverture as (
    select min(derniere_heure_locale)::date as dernier_jour_observe
    from {{ ref('int_securite_evenements__couverture') }}
)

select
    evenements.evenement_id::{{ text_type() }} as evenement_id,
    evenements.code_type_evenement::{{ text_type() }} as code_type_evenement,
    evenements.type_evenement::{{ text_type() }} as type_evenement,
    evenements.code_lieu::{{ text_type() }} as code_lieu,
    evenements.lieu::{{ text_type() }} as lieu,
    evenements.code_quartier::{{ text_type() }} as code_quartier,
    {{ paris_local('evenements.debut') }}::timestamp as debut_local,
    {{ paris_local('evenements.fin') }}::timestamp as fin_local,
    evenements.jour_debut::date as jour_debut,
    evenements.jour_fin::date as jour_fin,
    evenements.jauge_attendue::integer as jauge_attendue,
    evenements.code_statut::{{ text_type() }} as code_statut,
    (evenements.jour_debut > couverture.dernier_jour_observe)::boolean as planifie,
    couverture.dernier_jour_observe::date as dernier_jour_observe
from {{ ref('stg_evenements__evenements') }} as evenements
cross join couverture
