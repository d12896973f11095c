-- Every fire the accounting counts, once (issue #14 item 7): one row per fire report, and one per
-- FIRMS fire event that no report describes (int_fire_event_report_matches). int_fire_emissions_
-- estimated turns each row into Eq 2.27 emissions by the same fuel logic, whatever its basis.
--   loss_basis fire_report  the report's burned area (report_id = the report's id; matched_event_id
--                           = its best-matching event, if any, for traceability)
--   loss_basis fire_event   an unreported live event (new, active or ended; never merged: its
--                           detections are in the surviving event; never masked: a static thermal
--                           source; never withdrawn) with a known area (area_ha > 0): burned area
--                           = the event's active-fire pixel area x seed factor fire_event_area_
--                           ratio of its area_basis (1.0, 95 % half-width assumed 100 % VIIRS /
--                           200 % MODIS: the footprint is an upper bound of the area burning, not
--                           a burned area). report_id = 'fire_event:' || event_id (the loss key
--                           of every downstream model); the files are the FIRMS files of its
--                           detections (source_sha256s). A new or active event is provisional: its
--                           area grows with each pass, and a report that arrives later replaces it
--                           at the next build.
-- The event's parcel (fuel, zone, county): of the parcels its detections fell in, the one of the
-- event's land class whose centroid is nearest the event's centre (ties: smallest parcel_id).
-- Its vegetation type (seed_fire_event_vegetation_map): forest -> forest, forest parcel of
-- forest_type shrub -> shrub, grassland -> grassland; wetland and other land (cropland, built-up)
-- have no fuel row and no biomass account, so their events give no loss. Year and days: the
-- Beijing calendar days of the first and last detection.
with reports as (
    select * from {{ ref('stg_reports__fires') }}
),

events as (
    select * from {{ ref('stg_monitoring__fire_events') }}
    where is_live and area_ha > 0
),

matches as (
    select * from {{ ref('int_fire_event_report_matches') }}
),

parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),

vegetation_map as (
    select * from {{ ref('seed_fire_event_vegetation_map') }}
),

area_ratio as (
    select * from {{ ref('int_factors_uncertainty') }}
    where parameter = 'fire_event_area_ratio'
),

report_sources as (
    select
        reports.report_id,
        'fire_report' as loss_basis,
        cast(null as varchar) as event_id,
        best.event_id as matched_event_id,
        reports.parcel_id,
        reports.county_code,
        reports.start_date,
        reports.end_date,
        reports.fire_year,
        reports.lon,
        reports.lat,
        reports.burned_area_ha,
        reports.burned_area_ha as stated_area_ha,
        cast(null as varchar) as area_stratum,
        1.0 as area_ratio,
        0.0 as area_u95_pct,
        reports.vegetation_type,
        reports.source_sha256,
        [reports.source_sha256] as source_sha256s,
    from reports
    left join matches as best on reports.report_id = best.report_id and best.is_best_for_report
),

unreported as (
    select events.*
    from events
    where not exists (select 1 from matches where matches.event_id = events.event_id)
),

event_parcels as (
    -- the event's parcel: of its land class, the centroid nearest the event's centre
    select
        unreported.event_id,
        parcels.parcel_id,
        parcels.county_code,
        parcels.forest_type,
    from unreported
    inner join parcels
        on list_contains(unreported.parcel_ids, parcels.parcel_id)
        and parcels.land_class = unreported.land_class
    qualify row_number() over (
        partition by unreported.event_id
        order by (parcels.centroid_lon - unreported.lon) ^ 2
            + ((parcels.centroid_lat - unreported.lat) * cos(radians(unreported.lat))) ^ 2 nulls last,
            parcels.parcel_id
    ) = 1
),

event_sources as (
    select
        'fire_event:' || unreported.event_id as report_id,
        'fire_event' as loss_basis,
        unreported.event_id,
        cast(null as varchar) as matched_event_id,
        event_parcels.parcel_id,
        coalesce(event_parcels.county_code, unreported.county_codes[1]) as county_code,
        unreported.first_detected_day_cst as start_date,
        unreported.last_detected_day_cst as end_date,
        year(unreported.first_detected_day_cst) as fire_year,
        unreported.lon,
        unreported.lat,
        unreported.area_ha * area_ratio.value as burned_area_ha,
        unreported.area_ha as stated_area_ha,
        unreported.area_basis as area_stratum,
        area_ratio.value as area_ratio,
        area_ratio.u95_pct as area_u95_pct,
        vegetation_map.vegetation_type,
        cast(null as varchar) as source_sha256,
        unreported.source_sha256s,
    from unreported
    left join event_parcels on unreported.event_id = event_parcels.event_id
    inner join vegetation_map
        on unreported.land_class = vegetation_map.land_class
        and vegetation_map.parcel_forest_type in (coalesce(event_parcels.forest_type, '*'), '*')
    inner join area_ratio on unreported.area_basis = area_ratio.stratum
    -- the specific forest_type row before the '*' row
    qualify row_number() over (
        partition by unreported.event_id order by vegetation_map.parcel_forest_type = '*'
    ) = 1
),

final as (
    select * from report_sources
    union all by name
    select * from event_sources
)

select * from final
