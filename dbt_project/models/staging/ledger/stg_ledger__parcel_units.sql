with source as (
    select * from {{ source('ledger', 'ledger_parcel_units') }}
),

final as (
    select * from source
)

select * from final
