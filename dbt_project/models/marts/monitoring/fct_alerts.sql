-- Every operational alert (fire events, and the other monitoring families as they are added) with
-- its current state and the count of its state changes, as the alert store held it when the build
-- started.
with alerts as (
    select * from {{ source('monitoring', 'alerts') }}
),

changes as (
    select * from {{ source('monitoring', 'alert_changes') }}
),

change_counts as (
    select
        alert_id,
        count(*) as n_changes,
        arg_max(change, change_id) as last_change,
        max("at") as last_change_at,
        count(*) filter (where delivered_at is null) as n_undelivered,
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
        coalesce(change_counts.n_changes, 0) as n_changes,
        change_counts.last_change,
        change_counts.last_change_at,
        coalesce(change_counts.n_undelivered, 0) as n_undelivered,
    from alerts
    left join change_counts on alerts.alert_id = change_counts.alert_id
)

select * from final
