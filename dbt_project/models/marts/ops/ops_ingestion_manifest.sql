-- Kept for readers of the foundation release: the same rows as ingest_manifest, older names.
with manifest as (
    select * from {{ ref('ingest_manifest') }}
),

final as (
    select
        *,
        rows_received as rows_read,
        error as detail,
    from manifest
)

select * from final
