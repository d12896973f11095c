-- Applicability of each project under its methodology (seed_methodology_rules, each rule with its
-- clause and P/S/A status): one row per failed condition. A project with no row here is
-- eligible; a project that fails stays in the reserve with these reasons (dim_projects).
with projects as (
    select * from {{ ref('stg_projects__projects') }}
),

rules as (
    select * from {{ ref('int_project_rules_pivoted') }}
),

seed as (
    select * from {{ ref('seed_methodology_rules') }}
),

parcels as (
    select * from {{ ref('int_project_parcels_assessed') }}
),

joined as (
    select
        projects.*,
        extract(year from projects.start_date) as start_year,
        rules.methodology is not null as has_rules,
        rules.* exclude (methodology),
    from projects
    left join rules on projects.methodology = rules.methodology
),

project_checks as (
    select project_id, 'methodology' as rule, 'unknown_methodology' as condition,
        'methodology ' || methodology || ' has no rules in seed_methodology_rules (not a supported methodology)' as reason
    from joined where not has_rules
    union all
    select project_id, 'project_types', 'project_type',
        'project type ' || project_type || ' is not covered by ' || methodology || ' (covers: ' || project_types || ')'
    from joined where has_rules and not list_contains(string_split(project_types, '|'), project_type)
    union all
    select project_id, 'accepts_new_projects', 'methodology_closed',
        methodology || ' is not open to new registrations: ' || coalesce(accepts_new_projects_note, '')
    from joined where has_rules and accepts_new_projects = false
    union all
    select project_id, 'excluded_forest_uses', 'forest_use',
        'forest use ' || forest_use || ' (林种) is excluded by ' || methodology
    from joined where list_contains(string_split(excluded_forest_uses, '|'), forest_use)
    union all
    select project_id, 'tenure_required', 'tenure',
        'no tenure certificate or contract declared (has_tenure_certificate is '
        || coalesce(cast(has_tenure_certificate as varchar), 'empty') || ')'
    from joined where is_tenure_required and coalesce(has_tenure_certificate, false) = false
    union all
    select project_id, 'min_nonforest_years', 'land_history',
        case when nonforest_since_year is null then 'land history not declared (nonforest_since_year)'
            else 'land non-forest only since ' || nonforest_since_year || ', ' || (start_year - nonforest_since_year)
                || ' year(s) before the start in ' || start_year || '; at least ' || min_nonforest_years || ' required'
        end
    from joined
    where min_nonforest_years is not null
        and (nonforest_since_year is null or start_year - nonforest_since_year < min_nonforest_years)
    union all
    select project_id, 'nonforest_since_date', 'land_history',
        'land must be non-forest since ' || nonforest_since_date || '; declared since '
        || coalesce(cast(nonforest_since_year as varchar), 'not declared')
    from joined
    where nonforest_since_date is not null
        and (nonforest_since_year is null or nonforest_since_year > extract(year from nonforest_since_date))
    union all
    select project_id, 'crediting_years_min', 'crediting_period',
        'crediting period ' || crediting_years || ' years is outside ' || crediting_years_min || '-'
        || crediting_years_max || ' years'
    from joined
    where crediting_years < crediting_years_min or crediting_years > crediting_years_max
    union all
    select project_id, 'earliest_start_date', 'start_date',
        'started ' || start_date || ', before ' || earliest_start_date
    from joined where start_date < earliest_start_date
),

parcel_checks as (
    select joined.project_id, 'wetland_excluded' as rule, 'wetland' as condition,
        count(*) || ' parcel(s) are wetland: ' || string_agg(parcels.parcel_id, ', ' order by parcels.parcel_id) as reason
    from joined inner join parcels on joined.project_id = parcels.project_id
    where joined.is_wetland_excluded and parcels.land_class = 'wetland'
    group by joined.project_id
    union all
    select joined.project_id, 'min_parcel_area_m2', 'parcel_area',
        count(*) || ' parcel(s) below the minimum area: ' || string_agg(parcels.parcel_id, ', ' order by parcels.parcel_id)
    from joined inner join parcels on joined.project_id = parcels.project_id
    where parcels.area_m2 < case when joined.start_year <= 2019
        then coalesce(joined.min_parcel_area_m2_start_le_2019, joined.min_parcel_area_m2)
        else joined.min_parcel_area_m2 end
    group by joined.project_id
    union all
    select joined.project_id, 'planted_origin_required', 'origin',
        count(*) || ' parcel(s) are not planted forest: ' || string_agg(parcels.parcel_id, ', ' order by parcels.parcel_id)
    from joined inner join parcels on joined.project_id = parcels.project_id
    where joined.is_planted_origin_required and coalesce(parcels.origin, '') <> 'planted'
    group by joined.project_id
    union all
    select joined.project_id, 'existing_forest_required', 'land_class',
        count(*) || ' parcel(s) are not forest land: ' || string_agg(parcels.parcel_id, ', ' order by parcels.parcel_id)
    from joined inner join parcels on joined.project_id = parcels.project_id
    where joined.is_existing_forest_required and coalesce(parcels.land_class, '') <> 'forest'
    group by joined.project_id
    union all
    select joined.project_id, 'min_nonforest_years', 'measured_forest_before_start',
        count(*) || ' parcel(s) measured as forest by our plots before the start in ' || joined.start_year || ': '
        || string_agg(parcels.parcel_id || ' (' || parcels.first_forest_inventory_year || ')', ', ' order by parcels.parcel_id)
    from joined inner join parcels on joined.project_id = parcels.project_id
    where (joined.min_nonforest_years is not null or joined.nonforest_since_date is not null)
        and parcels.first_forest_inventory_year < joined.start_year
    group by joined.project_id, joined.start_year
),

checks as (
    select * from project_checks
    union all
    select * from parcel_checks
),

final as (
    select
        checks.project_id,
        checks.rule,
        checks.condition,
        checks.reason,
        seed.clause,
        seed.status as clause_status,
    from checks
    inner join projects on checks.project_id = projects.project_id
    left join seed on seed.methodology = projects.methodology and seed.rule = checks.rule
)

select * from final
