-- Every FIRMS detection with its mask: static thermal sources are masked, not deleted (kept here
-- and in the raw layer, shown on request), and only unmasked detections belong to a fire event.
with detections as (
    select * from {{ source('monitoring', 'fire_detections') }}
),

final as (
    select
        hotspot_id,
        acquired_at,
        acq_date,
        instrument,
        satellite,
        longitude,
        latitude,
        frp_mw,
        confidence_pct,
        fire_type,
        is_nrt,
        county_code,
        parcel_id,
        land_class,
        zone_id,
        is_masked,
        mask_reason,
        known_source_id,
        is_firms_static_type,
        persist_days,
        persist_months,
        static_source_id,
        event_id,
        first_ingested_at,
        first_source_sha256,
    from detections
)

select * from final
