-- Every reported loss (int_disturbance_losses_estimated) placed on the parcel and the days it hit,
-- and counted exactly once:
--   inside the stock change  a plot of the parcel was tallied before the event (its earlier tally
--                            ended before the event started) and again after it (its later tally
--                            started after the event ended), and the later tally found trees of
--                            the earlier one dead, cut or gone, carrying at least the carbon per
--                            ha that the report implies on its affected area (loss_c_t /
--                            affected_area_ha): the stock difference between the two tallies
--                            holds the loss (is_deducted = false, whatever the year's method: a
--                            fire after the 2021 tally is inside the 2021-2025 change even though
--                            2021 itself is a gain-loss year). The density condition keeps a plot
--                            with one natural death from passing for a burned plot: the tallies
--                            record no cause of death;
--   deducted                 otherwise: the parcel has no plot, its plots were not remeasured
--                            across the event, the event came before the first or after the last
--                            tally (also within an inventory year), or the plots recorded no loss
--                            (a fire that burned part of a parcel but not its plot). The loss is
--                            then in no stock change and is deducted in its year.
-- Tally days come from the optional measurement_date (int_plots_increment_estimated; unknown =
-- the whole inventory year, conservative). Event days: a fire's start and end dates (an
-- unreported fire event's first and last detection day), a pest report's date.
with losses as (
    select * from {{ ref('int_disturbance_losses_estimated') }}
),

fires as (
    -- reports and unreported fire events (their Beijing days of first and last detection)
    select * from {{ ref('int_fire_loss_sources') }}
),

pests as (
    select * from {{ ref('stg_reports__pests') }}
),

intervals as (
    select * from {{ ref('int_plots_increment_estimated') }}
),

event_days as (
    select report_id, 'fire' as cause, cast(start_date as date) as start_day, cast(end_date as date) as end_day,
    from fires
    union all
    select report_id, 'pest', cast(report_date as date), cast(report_date as date),
    from pests
),

recordings as (
    -- the plots of the parcel whose two tallies bracket the event and that recorded a loss
    select
        losses.report_id,
        min(intervals.plot_id) as recording_plot_id,
        min(intervals.year_t1) as recorded_year_t1,
        min(intervals.year_t2) as recorded_year_t2,
    from losses
    inner join event_days on losses.report_id = event_days.report_id and losses.cause = event_days.cause
    inner join intervals
        on losses.parcel_id = intervals.parcel_id
        and intervals.tally_t1_last_day < event_days.start_day
        and event_days.end_day < intervals.tally_t2_first_day
        and intervals.n_trees_dead + intervals.n_trees_cut + intervals.n_trees_missing > 0
        and intervals.lost_carbon_t_c_per_ha >= coalesce(losses.loss_c_t / nullif(losses.affected_area_ha, 0), 0)
    group by losses.report_id
),

final as (
    select
        losses.*,
        event_days.start_day as event_start_date,
        event_days.end_day as event_end_date,
        recordings.report_id is not null as is_recorded_by_plots,
        recordings.recording_plot_id,
        recordings.recorded_year_t1,
        recordings.recorded_year_t2,
        recordings.report_id is null as is_deducted,
    from losses
    left join event_days on losses.report_id = event_days.report_id and losses.cause = event_days.cause
    left join recordings on losses.report_id = recordings.report_id
)

select * from final
