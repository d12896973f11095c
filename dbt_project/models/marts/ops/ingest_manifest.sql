-- Every received file: format, counts (received = accepted + quarantined), status, error, and
-- which corrected re-upload superseded it.
with manifest as (
    select * from {{ source('ops', 'manifest') }}
),

final as (
    select
        file_name,
        sha256,
        family,
        format,
        received_at,
        loaded_at,
        coalesce(rows_received, rows_read) as rows_received,
        rows_accepted,
        rows_quarantined,
        status,
        coalesce(error, detail) as error,
        reason_counts,
        batch_key,
        supersedes,
        superseded_by,
        superseded_at,
        archive_path,
        raw_path,
        quarantine_path,
        gate_suite,
        gate_passed,
        gate_failed_expectations,
        run_id,
    from manifest
)

select * from final
