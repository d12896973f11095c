with source as (
    select * from {{ source('raw_survey', 'forest_plots') }}
    where {{ not_superseded() }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by plot_id, inventory_year, tree_id order by _ingested_at desc, _source_row desc
    ) = 1
),

final as (
    select
        plot_id,
        parcel_id,
        inventory_year,
        plot_area_m2,
        plot_lon,
        plot_lat,
        tree_id,
        species,
        dbh_cm,
        height_m,
        status as tree_status,
        stem_volume_m3,
        cast(measurement_date as date) as measurement_date,
        is_in_parcel,
        _source_file as source_file,
        _source_sha256 as source_sha256,
        _source_row as source_row,
    from latest
)

select * from final
