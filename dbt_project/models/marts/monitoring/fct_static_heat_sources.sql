-- Static thermal sources: the seeded industrial sources (seed_static_heat_sources, with the
-- detections they masked) and the groups of detections masked by the FIRMS type field or the
-- persistence rule.
with sources as (
    select * from {{ source('monitoring', 'static_heat_sources') }}
),

final as (
    select
        static_source_id,
        rule,
        kind,
        name,
        name_zh,
        lon,
        lat,
        radius_m,
        location_status,
        source,
        n_detections,
        n_days,
        first_detected_at,
        last_detected_at,
    from sources
)

select * from final
