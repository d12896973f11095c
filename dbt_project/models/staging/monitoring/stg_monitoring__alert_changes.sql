with source as (
    select * from {{ source('monitoring', 'alert_changes') }}
),

final as (
    select
        change_id,
        alert_id,
        change,
        state,
        severity,
        changed_at,
        changed_by,
        note,
        delivered_at,
        delivered_at is not null as is_delivered,
    from source
)

select * from final
