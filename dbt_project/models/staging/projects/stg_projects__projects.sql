-- One row per project: the attributes of its latest upload that is not superseded (a later file
-- with the same project replaces the earlier one as a whole, parcels included). Defaults: the
-- crediting period starts with the project; the scheme is the methodology's default
-- (seed_methodology_rules.scheme_default).
with source as (
    select * from {{ source('raw_projects', 'projects') }}
    where {{ not_superseded() }}
),

latest_file as (
    select *
    from source
    qualify rank() over (partition by project_id order by _ingested_at desc, _source_sha256 desc) = 1
),

one_row as (
    select *
    from latest_file
    qualify row_number() over (partition by project_id order by _source_row, parcel_id) = 1
),

scheme_defaults as (
    select methodology, value as scheme_code
    from {{ ref('seed_methodology_rules') }}
    where rule = 'scheme_default'
),

final as (
    select
        one_row.project_id,
        one_row.project_name,
        one_row.project_type,
        one_row.methodology,
        coalesce(one_row.scheme_code, scheme_defaults.scheme_code, 'CCER') as scheme_code,
        one_row.owner,
        one_row.start_date,
        coalesce(one_row.crediting_start, one_row.start_date) as crediting_start,
        one_row.crediting_years,
        cast(coalesce(one_row.crediting_start, one_row.start_date)
            + to_years(cast(one_row.crediting_years as integer)) as date) as crediting_end,
        one_row.planned_area_mu,
        one_row.species,
        one_row.forest_use,
        one_row.nonforest_since_year,
        one_row.has_tenure_certificate,
        one_row._source_file as source_file,
        one_row._source_sha256 as source_sha256,
    from one_row
    left join scheme_defaults on one_row.methodology = scheme_defaults.methodology
)

select * from final
