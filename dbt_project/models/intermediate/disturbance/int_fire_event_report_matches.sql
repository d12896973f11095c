-- Which fire reports and FIRMS fire events describe the same fire (issue #14 item 7), one row per
-- matching (report, event) pair. Only live events take part (stg_monitoring__fire_events.is_live:
-- new, active, ended): a merged event's detections are all in its surviving event, which is live
-- and matched instead; masked events are static thermal sources and withdrawn ones lost their
-- detections. Events without a known area (area_ha null or 0) take part too: a report that
-- describes one is still the same fire.
-- Rule: a report and a live event are the same fire when
--   (place) the report's parcel is among the parcels the event's detections fell in, OR the
--           report's point lies within 5 km (great circle) of the event's centre (mean of its
--           pixel centres). Reports give the parcel and a point that may be the ignition point, a
--           village or the stand's centre; the event's centre moves as it spreads. 5 km is the
--           top of the 1-5 km range within which FEDS joins detections to one fire (Chen et al.
--           2022, Sci. Data 9:249; fireatlas FireConsts.py) and 2.5 times the 2 km link distance
--           of our clustering (monitoring/fire_events.LINK_DISTANCE_M), AND
--   (time)  the report's days [start_date, end_date] overlap the event's detection days (Beijing
--           calendar days) widened by 1 day on each side: reports are dated by local day, FIRMS
--           passes are at about 01:30 and 13:30 local time, a fire put out before the night pass
--           is detected the day it started or not at all, and dates in reports are often the day
--           the fire was reported. Two fires at the same place within a day are one fire here.
-- Several matches: a report matched to several events (a fire split into two events by a gap
-- of more than 48 h or 2 km) describes all of them and each of those events is counted through
-- the report (int_fire_loss_sources counts only events no report matches); an event matched by
-- several reports (two neighbouring parcels' reports of one fire) is counted through every
-- report, each with its own area. For traceability each report's and each event's best match is
-- flagged: parcel match before distance match, then the smaller distance, then the smaller gap
-- in days between the report's start and the event's first detection, then the id (event_id for
-- a report, report_id for an event): deterministic.
with reports as (
    select * from {{ ref('stg_reports__fires') }}
),

events as (
    select * from {{ ref('stg_monitoring__fire_events') }}
    where is_live
),

pairs as (
    select
        reports.report_id,
        events.event_id,
        coalesce(list_contains(events.parcel_ids, reports.parcel_id), false) as is_parcel_match,
        2 * 6371008.8 * asin(sqrt(
            pow(sin(radians(events.lat - reports.lat) / 2), 2)
            + cos(radians(reports.lat)) * cos(radians(events.lat))
            * pow(sin(radians(events.lon - reports.lon) / 2), 2)
        )) as distance_m,
        abs(datediff('day', cast(reports.start_date as date), events.first_detected_day_cst)) as start_gap_days,
    from reports
    inner join events
        on cast(reports.start_date as date) <= events.last_detected_day_cst + 1
        and cast(coalesce(reports.end_date, reports.start_date) as date) >= events.first_detected_day_cst - 1
),

matched as (
    select
        *,
        case
            when is_parcel_match and coalesce(distance_m <= 5000, false) then 'parcel_and_distance'
            when is_parcel_match then 'parcel'
            else 'distance'
        end as match_rule,
    from pairs
    where is_parcel_match or distance_m <= 5000
),

final as (
    select
        report_id,
        event_id,
        match_rule,
        round(distance_m, 1) as distance_m,
        start_gap_days,
        row_number() over (
            partition by report_id
            order by is_parcel_match desc, distance_m asc nulls last, start_gap_days, event_id
        ) = 1 as is_best_for_report,
        row_number() over (
            partition by event_id
            order by is_parcel_match desc, distance_m asc nulls last, start_gap_days, report_id
        ) = 1 as is_best_for_event,
    from matched
)

select * from final
