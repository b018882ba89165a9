-- Real BAAC 2018 persons involved (reduced copy: Num_Acc and grav only), one row per person.
-- The file has no person key: rang_usager numbers the persons of an accident in file order.
select
    {{ ident('Num_Acc') }}::{{ text_type() }} as accident_id,
    row_number() over (partition by {{ ident('Num_Acc') }} order by file_row)::integer as rang_usager,
    nullif(trim(grav), '') as code_gravite
from (
    select
        *,
        row_number() over () as file_row
    from {{ reference_csv('baac-2018-marseille/usagers-2018.reduced-lijie97.csv') }}
)
