with source as (
    select * from {{ source('ledger', 'ledger_creditable') }}
),

final as (
    select * from source
)

select * from final
