-- Fire and pest losses on project parcels within the crediting period (int_disturbance_losses_
-- estimated, one row per report): what an officer records in the ledger (record_loss), which
-- cancels buffer units first.
with losses as (
    select * from {{ ref('int_disturbance_losses_estimated') }}
),

projects as (
    select * from {{ ref('dim_projects') }}
),

project_parcels as (
    select * from {{ ref('stg_projects__parcels') }}
),

final as (
    select
        losses.report_id,
        projects.project_id,
        projects.scheme_code,
        losses.parcel_id,
        losses.year,
        losses.cause,
        losses.agent,
        losses.affected_area_ha,
        losses.loss_co2e_t,
    from losses
    inner join project_parcels on losses.parcel_id = project_parcels.parcel_id
    inner join projects on project_parcels.project_id = projects.project_id
        and losses.year >= extract(year from projects.crediting_start)
        and losses.year < extract(year from projects.crediting_end)
    where losses.loss_co2e_t > 0
)

select * from final
