with source as (
    select * from {{ source('ledger', 'ledger_claims') }}
),

final as (
    select * from source
)

select * from final
