-- Every received file with its counts (read = accepted + quarantined), status and gate result.
with manifest as (
    select * from {{ source('ops', 'manifest') }}
),

final as (
    select
        family,
        file_name,
        sha256,
        size_bytes,
        received_at,
        loaded_at,
        rows_read,
        rows_accepted,
        rows_quarantined,
        status,
        detail,
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
