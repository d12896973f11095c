{#-
    The largest fact (one row per parcel and 16-day composite: tens of millions at city scale), so
    an incremental table, partitioned by the data's own date (composite_date), not a view.

    Incremental run: the partitions to rebuild are the composite dates found in the raw files
    that are not in this table yet (a new upload, or a late or corrected upload for an old
    composite: its whole composite is rebuilt from every raw file, and the newest row per
    parcel wins as before), plus those of files that were superseded since they were built. The
    new files are read by path (from the manifest), and the rebuilt partitions are read with a
    constant filter on composite_date, which Parquet statistics prune to the files that hold
    those dates. `dbt build --full-refresh` (sinkwatch build --full-refresh) rebuilds it all.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='composite_date',
    on_schema_change='fail',
) }}

{%- set touched = [] -%}
{%- if is_incremental() and execute -%}
    {%- set files_sql -%}
        with built as (
            select distinct source_sha256 from {{ this }}
        )
        select raw_path
        from {{ source('ops', 'manifest') }}
        where family = 'vegetation_indices'
            and raw_path is not null
            and (
                (superseded_by is null and sha256 not in (select source_sha256 from built))
                or (superseded_by is not null and sha256 in (select source_sha256 from built))
            )
        order by raw_path
    {%- endset -%}
    {%- set files = run_query(files_sql).columns[0].values() -%}
    {%- if files | length > 0 -%}
        {%- set dates_sql -%}
            select distinct strftime(composite_date, '%Y-%m-%d')
            from read_parquet([
                {%- for f in files -%}
                    '{{ env_var("SINKWATCH_HOME") }}/{{ f }}'{{ ", " if not loop.last }}
                {%- endfor -%}
            ], union_by_name = true)
            where composite_date is not null
            order by 1
        {%- endset -%}
        {%- set touched = run_query(dates_sql).columns[0].values() -%}
    {%- endif -%}
    {{ log("stg_rs__vegetation_indices: " ~ files | length ~ " new or superseded file(s), "
           ~ touched | length ~ " composite date(s) to rebuild", info=true) }}
{%- endif %}

with source as (
    select * from {{ source('raw_remote_sensing', 'vegetation_indices') }}
    where {{ not_superseded() }}
    {%- if is_incremental() %}
        {%- if touched | length > 0 %}
        and composite_date in (
            {%- for d in touched -%}
                date '{{ d }}'{{ ", " if not loop.last }}
            {%- endfor -%}
        )
        {%- else %}
        and false
        {%- endif %}
    {%- endif %}
),

-- composite dates delivered by more than one (not superseded) file: only their rows need the
-- newest-row-per-parcel window; every other date passes straight through (at city scale the
-- window over all rows was most of the build)
shared_dates as (
    select composite_date
    from source
    group by composite_date
    having count(distinct _source_sha256) > 1
),

latest as (
    select * from source anti join shared_dates using (composite_date)
    union all
    select *
    from (select * from source semi join shared_dates using (composite_date))
    qualify row_number() over (
        partition by parcel_id, composite_date order by _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        parcel_id,
        composite_date,
        year(composite_date) as composite_year,
        ndvi,
        evi,
        quality as pixel_reliability,
        quality = 0 as is_good_quality,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        -- which dbt invocation built the row: the incremental models downstream rebuild the
        -- partitions this run touched (rows of other partitions keep their older id)
        '{{ invocation_id }}' as built_invocation_id,
    from latest
)

select * from final
