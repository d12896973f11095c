-- Fire events of monitoring/fire_events.py (the snapshot of the latest ingest_disturbances run),
-- one row per event id ever made, typed for the accounting: detection times also as Beijing
-- calendar days (Asia/Shanghai), the days fire reports are dated by.
-- Statuses (monitoring.fire_events.STATUSES): new, active, ended (live events: a fire), merged
-- (its detections now belong to merged_into, the surviving event), masked (its detections turned
-- out to be a static thermal source), withdrawn (its detections left the raw layer).
with source as (
    select * from {{ source('monitoring', 'fire_events') }}
),

final as (
    select
        event_id,
        status,
        status in ('new', 'active', 'ended') as is_live,
        first_detected_at,
        last_detected_at,
        cast(timezone('Asia/Shanghai', first_detected_at) as date) as first_detected_day_cst,
        cast(timezone('Asia/Shanghai', last_detected_at) as date) as last_detected_day_cst,
        n_detections,
        area_ha,
        area_basis,
        land_class,
        zone_ids,
        county_codes,
        parcel_ids,
        lon,
        lat,
        source_sha256s,
        merged_into,
    from source
)

select * from final
