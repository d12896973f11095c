{#- One row per alert with its current state and the history of its state changes: what the
    duty officers saw, acknowledged and closed. Built from the alert store's snapshot. -#}
with alerts as (
    select * from {{ ref('stg_monitoring__alerts') }}
),

changes as (
    select * from {{ ref('stg_monitoring__alert_changes') }}
),

history as (
    select
        alert_id,
        count(*) as n_state_changes,
        string_agg(change, ' → ' order by change_id) as state_history,
        max(changed_at) filter (where change = 'acknowledged') as acknowledged_at,
        max(changed_at) filter (where change = 'closed') as closed_at,
        count(*) filter (where not is_delivered) as n_undelivered_changes,
    from changes
    group by alert_id
),

final as (
    select
        alerts.alert_id,
        alerts.alert_type,
        alerts.severity,
        alerts.state,
        alerts.title,
        alerts.message,
        alerts.zone_ids,
        alerts.county_codes,
        alerts.parcel_ids,
        alerts.lon,
        alerts.lat,
        alerts.evidence,
        alerts.first_seen_at,
        alerts.last_updated_at,
        alerts.state_changed_at,
        alerts.state_changed_by,
        history.acknowledged_at,
        history.closed_at,
        coalesce(history.n_state_changes, 0) as n_state_changes,
        history.state_history,
        coalesce(history.n_undelivered_changes, 0) as n_undelivered_changes,
    from alerts
    left join history using (alert_id)
)

select * from final
