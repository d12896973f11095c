-- The rules of seed_methodology_rules, one row per methodology, typed. A rule a methodology does
-- not have is null (not checked).
with rules as (
    select * from {{ ref('seed_methodology_rules') }}
    where methodology <> 'all'
),

final as (
    select
        methodology,
        max(value) filter (where rule = 'project_types') as project_types,
        max(value) filter (where rule = 'excluded_forest_uses') as excluded_forest_uses,
        max(try_cast(value as integer)) filter (where rule = 'min_nonforest_years') as min_nonforest_years,
        max(try_cast(value as date)) filter (where rule = 'nonforest_since_date') as nonforest_since_date,
        bool_or(value = 'true') filter (where rule = 'tenure_required') as is_tenure_required,
        max(try_cast(value as double)) filter (where rule = 'min_parcel_area_m2') as min_parcel_area_m2,
        max(try_cast(value as double)) filter (where rule = 'min_parcel_area_m2_start_le_2019') as min_parcel_area_m2_start_le_2019,
        bool_or(value = 'true') filter (where rule = 'wetland_excluded') as is_wetland_excluded,
        bool_or(value = 'true') filter (where rule = 'planted_origin_required') as is_planted_origin_required,
        bool_or(value = 'true') filter (where rule = 'existing_forest_required') as is_existing_forest_required,
        max(try_cast(value as integer)) filter (where rule = 'crediting_years_min') as crediting_years_min,
        max(try_cast(value as integer)) filter (where rule = 'crediting_years_max') as crediting_years_max,
        max(try_cast(value as date)) filter (where rule = 'earliest_start_date') as earliest_start_date,
        bool_or(value = 'true') filter (where rule = 'accepts_new_projects') as accepts_new_projects,
        max(note) filter (where rule = 'accepts_new_projects') as accepts_new_projects_note,
        max(value) filter (where rule = 'baseline_method') as baseline_method,
        max(try_cast(value as double)) filter (where rule = 'leakage_fraction') as leakage_fraction,
        max(try_cast(value as double)) filter (where rule = 'uncertainty_threshold_u90_pct') as uncertainty_threshold_u90_pct,
        max(try_cast(value as double)) filter (where rule = 'buffer_share') as buffer_share,
    from rules
    group by methodology
)

select * from final
