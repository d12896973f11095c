-- One row: which run built this warehouse and how recent its data are.
with dates as (
    select max(composite_date) as d from {{ ref('stg_rs__vegetation_indices') }}
    union all select max(acq_date) from {{ ref('stg_firms__hotspots') }}
    union all select max(report_date) from {{ ref('stg_reports__pests') }}
    union all select max(end_date) from {{ ref('stg_reports__fires') }}
    union all select max(survey_date) from {{ ref('stg_survey__grassland_quadrats') }}
    union all select max(planting_date) from {{ ref('stg_survey__demo_forests') }}
),

final as (
    select
        '{{ env_var("SINKWATCH_RUN_ID", var("run_id")) }}' as run_id,
        now()::timestamp as built_at,
        max(d) as data_as_of,
        '{{ var("gwp_vintage") }}' as gwp_vintage,
    from dates
)

select * from final
