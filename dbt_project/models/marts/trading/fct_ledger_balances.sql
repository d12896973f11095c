-- The ledger snapshot reconciled with the sink account, per parcel, vintage and scheme:
--   creditable_units = issued_units + buffer_units + available_units
-- creditable_units come from THIS build (fct_parcel_creditable); issued (the issuer's share of
-- the issuance lines) and buffer (the buffer share of the same serials) from the ledger snapshot
-- taken just before this build; available_units is what the ledger still lets be issued (it
-- never re-issues units cancelled for a loss). available_units < 0 means units were issued
-- beyond tonight's sink; unless loss reversals (units cancelled for fire or pest losses on the
-- parcel) cover the gap, shortfall_units > 0 and the gate (marts__fct_ledger_balances) fails.
with creditable as (
    select * from {{ ref('fct_parcel_creditable') }}
    where is_ledger_scheme
),

units as (
    select * from {{ ref('stg_ledger__parcel_units') }}
),

ledger_creditable as (
    select * from {{ ref('stg_ledger__creditable') }}
),

keys as (
    select parcel_id, vintage, scheme_code from creditable
    union
    select parcel_id, vintage, scheme_code from units
),

final as (
    select
        keys.parcel_id,
        keys.vintage,
        keys.scheme_code,
        creditable.project_id,
        coalesce(creditable.creditable_t, 0) as creditable_t,
        coalesce(creditable.creditable_units, 0) as creditable_units,
        coalesce(units.issued_units, 0) as issued_units,
        coalesce(units.buffer_units, 0) as buffer_units,
        coalesce(units.reversed_units, 0) as reversed_units,
        coalesce(creditable.creditable_units, 0) - coalesce(units.issued_units, 0)
            - coalesce(units.buffer_units, 0) as available_units,
        greatest(coalesce(units.issued_units, 0) + coalesce(units.buffer_units, 0)
            - coalesce(units.reversed_units, 0) - coalesce(creditable.creditable_units, 0), 0) as shortfall_units,
        coalesce(units.held_issuer_units, 0) as held_issuer_units,
        coalesce(units.held_holder_units, 0) as held_holder_units,
        coalesce(units.held_buffer_units, 0) as held_buffer_units,
        coalesce(units.retired_units, 0) as retired_units,
        coalesce(units.cancelled_units, 0) as cancelled_units,
        units.issuance_projects,
        ledger_creditable.net_removals_t - ledger_creditable.deductions_t as ledger_creditable_t,
        ledger_creditable.parcel_id is not null
            and abs((ledger_creditable.net_removals_t - ledger_creditable.deductions_t) - coalesce(creditable.creditable_t, 0)) < 0.0015
            as is_ledger_up_to_date,
    from keys
    left join creditable
        on keys.parcel_id = creditable.parcel_id and keys.vintage = creditable.vintage and keys.scheme_code = creditable.scheme_code
    left join units
        on keys.parcel_id = units.parcel_id and keys.vintage = units.vintage and keys.scheme_code = units.scheme_code
    left join ledger_creditable
        on keys.parcel_id = ledger_creditable.parcel_id and keys.vintage = ledger_creditable.vintage
        and keys.scheme_code = ledger_creditable.scheme_code
)

select * from final
