-- Every file the ingest looked at, one row per file and receipt: who sent what when. The same
-- bytes received twice are two receipts and one manifest row; the later receipt points to the
-- first (duplicate_of) and both name the manifest row they belong to (upload_sha256).
with received as (
    select * from {{ source('ops', 'receipts') }}
),

manifest as (
    select * from {{ ref('ingest_manifest') }}
),

final as (
    select
        received.receipt_id,
        received.family,
        received.file_name,
        received.landing_path,
        received.size_bytes,
        received.sha256,
        received.file_modified_at,
        received.received_at,
        received.upload_name,
        received.upload_sha256,
        received.is_duplicate,
        received.duplicate_of,
        received.outcome,
        received.detail,
        received.archive_path,
        received.run_id,
        manifest.file_name as manifest_file_name,
        manifest.status as manifest_status,
    from received
    left join manifest
        on received.upload_sha256 = manifest.sha256
)

select * from final
