-- Fire events from the FIRMS hotspots (monitoring/fire_events.py): one row per event id ever
-- made, with the status at the data clock; merged and masked events stay, pointing at where their
-- detections went.
with events as (
    select * from {{ source('monitoring', 'fire_events') }}
),

final as (
    select
        event_id,
        status,
        severity,
        first_detected_at,
        last_detected_at,
        n_detections,
        instruments,
        max_frp_mw,
        sum_frp_mw,
        area_ha,
        area_ha * 15 as area_mu,
        area_basis,
        land_class,
        zone_ids,
        county_codes,
        parcel_ids,
        lon,
        lat,
        first_hotspot_id,
        source_sha256s,
        merged_into,
        vanished_as_of,
        is_alerted,
        'fire_event:' || event_id as alert_id,
        first_seen_run_id,
        first_seen_at,
        data_as_of,
    from events
)

select * from final
