-- Every quarantined row (row_number null: the whole file) with the field and reason, and the
-- raw record as received (JSON), for the people who can fix the upload.
with quarantined as (
    select * from {{ source('ops', 'quarantine') }}
),

final as (
    select
        sha256,
        family,
        file_name,
        row_number,
        field,
        reason_code,
        reason,
        raw_record,
        archive_path,
        run_id,
        quarantined_at,
    from quarantined
)

select * from final
