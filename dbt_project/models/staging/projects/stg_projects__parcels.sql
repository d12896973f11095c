-- One row per project and parcel, from the project's latest upload (see stg_projects__projects).
with source as (
    select * from {{ source('raw_projects', 'projects') }}
    where {{ not_superseded() }}
),

latest_file as (
    select *
    from source
    qualify rank() over (partition by project_id order by _ingested_at desc, _source_sha256 desc) = 1
),

final as (
    select distinct on (project_id, parcel_id)
        project_id,
        parcel_id,
        parcel_source,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest_file
    order by project_id, parcel_id, _source_row
)

select * from final
