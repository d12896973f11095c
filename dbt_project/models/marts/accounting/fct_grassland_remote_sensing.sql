-- Wall-to-wall grassland estimates per parcel and year from the peak-season NDVI (maximum of the
-- good-quality July-August composites):
--   agb_rs_t_per_ha  the year's selected NDVI->AGB model of the parcel's grassland type, applied only
--                    inside the model's calibrated NDVI range (outside: null, flagged; never
--                    extrapolated)
--   fvc              pixel dichotomy FVC = (NDVI - NDVI_soil) / (NDVI_veg - NDVI_soil), clipped to
--                    [0, 1]; NDVI_soil / NDVI_veg = the 5th / 95th percentile (seed
--                    fvc_ndvi_*_percentile) of the year's peak NDVI over all parcels of the city
-- The reported cover indicator stays plot-based (int_grassland_cover_indicator).
with parcels as (
    select * from {{ ref('stg_survey__parcels') }}
),


models as (
    select * from {{ ref('fct_grassland_agb_models') }}
    where is_selected
),

peak as (
    select parcel_id, composite_year as year, peak_ndvi
    from {{ ref('int_parcel_peak_ndvi') }}
),

ranked as (
    select year, peak_ndvi, percent_rank() over (partition by year order by peak_ndvi) as pct_rank
    from peak
),

endmembers as (
    -- the lowest NDVI at or above the soil percentile, the highest at or below the vegetation one
    select
        year,
        min(peak_ndvi) filter (
            where pct_rank >= {{ factor('fvc_ndvi_soil_percentile', 'regional_histogram') }} / 100.0
        ) as ndvi_soil,
        max(peak_ndvi) filter (
            where pct_rank <= {{ factor('fvc_ndvi_veg_percentile', 'regional_histogram') }} / 100.0
        ) as ndvi_veg,
    from ranked
    group by year
),

final as (
    select
        parcels.parcel_id,
        peak.year,
        parcels.county_code,
        parcels.zone_id,
        parcels.grassland_type,
        {{ measure('parcels.area_mu', 4) }} as area_mu,
        round(peak.peak_ndvi, 4) as peak_ndvi,
        models.model_form,
        models.fit_year as model_fit_year,
        coalesce(peak.peak_ndvi between models.ndvi_min and models.ndvi_max, false) as is_within_calibrated_range,
        case
            when peak.peak_ndvi between models.ndvi_min and models.ndvi_max then round(case models.model_form
                when 'linear' then models.coef_a + models.coef_b * peak.peak_ndvi
                when 'power' then models.coef_a * pow(peak.peak_ndvi, models.coef_b)
            end, 4)
        end as agb_rs_t_per_ha,
        round(endmembers.ndvi_soil, 4) as ndvi_soil,
        round(endmembers.ndvi_veg, 4) as ndvi_veg,
        round(least(1.0, greatest(0.0,
            (peak.peak_ndvi - endmembers.ndvi_soil) / nullif(endmembers.ndvi_veg - endmembers.ndvi_soil, 0)
        )), 4) as fvc,
    from parcels
    inner join peak on parcels.parcel_id = peak.parcel_id
    inner join endmembers on peak.year = endmembers.year
    left join models on parcels.grassland_type = models.grassland_type and peak.year = models.fit_year
    where parcels.land_class = 'grassland'
)

select * from final
