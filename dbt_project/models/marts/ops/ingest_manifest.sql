-- Every received file: format, counts (received = accepted + quarantined), status, error, and
-- which corrected re-upload superseded it; the files of a shapefile set; and every name the
-- same bytes were received under.
with manifest as (
    select * from {{ source('ops', 'manifest') }}
),

received as (
    select * from {{ source('ops', 'receipts') }}
),

receipts_per_upload as (
    select
        upload_sha256 as sha256,
        count(*) as n_receipts,
        string_agg(distinct file_name, ', ' order by file_name) as received_as,
    from received
    where upload_sha256 is not null
    group by upload_sha256
),

final as (
    select
        manifest.file_name,
        manifest.sha256,
        manifest.family,
        manifest.format,
        manifest.received_at,
        manifest.loaded_at,
        coalesce(manifest.rows_received, manifest.rows_read) as rows_received,
        manifest.rows_accepted,
        manifest.rows_quarantined,
        manifest.status,
        coalesce(manifest.error, manifest.detail) as error,
        manifest.reason_counts,
        manifest.batch_key,
        manifest.supersedes,
        manifest.superseded_by,
        manifest.superseded_at,
        manifest.archive_path,
        manifest.raw_path,
        manifest.quarantine_path,
        manifest.gate_suite,
        manifest.gate_passed,
        manifest.gate_failed_expectations,
        manifest.run_id,
        manifest.members,
        coalesce(receipts_per_upload.n_receipts, 0) as n_receipts,
        coalesce(receipts_per_upload.received_as, manifest.file_name) as received_as,
    from manifest
    left join receipts_per_upload
        on manifest.sha256 = receipts_per_upload.sha256
)

select * from final
