with source as (
    select * from {{ source('monitoring', 'alerts') }}
),

final as (
    select
        alert_id,
        alert_type,
        severity,
        title,
        message,
        cast(json(zone_ids) as varchar[]) as zone_ids,
        cast(json(county_codes) as varchar[]) as county_codes,
        cast(json(parcel_ids) as varchar[]) as parcel_ids,
        lon,
        lat,
        evidence,
        state,
        first_seen_at,
        last_updated_at,
        state_changed_at,
        state_changed_by,
    from source
)

select * from final
