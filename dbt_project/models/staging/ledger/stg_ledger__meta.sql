with source as (
    select * from {{ source('ledger', 'ledger_meta') }}
),

final as (
    select * from source
)

select * from final
