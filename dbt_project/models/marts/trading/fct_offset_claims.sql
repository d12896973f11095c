-- Subscriptions (认购) and retirements (注销, with the certificate's verification code) from the
-- ledger snapshot: who bought or retired how many units, of which scheme and vintages, for what.
with claims as (
    select * from {{ ref('stg_ledger__claims') }}
),

final as (
    select
        claim_kind || ':' || claim_id as claim_key,
        claim_kind,
        claim_id,
        account_id,
        account_name,
        scheme_code,
        quantity,
        purpose_kind,
        purpose_name,
        purpose_year,
        beneficiary,
        subscription_id,
        vintages,
        projects,
        parcels,
        serials,
        recorded_at,
        verification_code,
    from claims
)

select * from final
