-- NDVI -> grassland above-ground biomass models fitted per grassland type and survey year on the
-- quadrats matched to the composite containing their clip date (reference s2.3; no published
-- coefficients are used). Two forms:
--   linear  AGB = a + b x NDVI                 (ordinary least squares)
--   power   AGB = a x NDVI^b                   (least squares on ln AGB = ln a + b ln NDVI; a is
--                                               back-transformed without bias correction)
-- R2 and RMSE are in t d.m./ha on the original scale for both forms; the calibrated NDVI range is
-- the range of the fitting quadrats; is_selected marks the form with the lower RMSE.
with matched as (
    select * from {{ ref('int_quadrats_ndvi_matched') }}
),

linear_fit as (
    select
        grassland_type,
        survey_year as fit_year,
        'linear' as model_form,
        regr_intercept(agb_t_per_ha, ndvi) as coef_a,
        regr_slope(agb_t_per_ha, ndvi) as coef_b,
    from matched
    group by grassland_type, survey_year
),

power_fit as (
    select
        grassland_type,
        survey_year as fit_year,
        'power' as model_form,
        exp(regr_intercept(ln(agb_t_per_ha), ln(ndvi))) as coef_a,
        regr_slope(ln(agb_t_per_ha), ln(ndvi)) as coef_b,
    from matched
    where ndvi > 0 and agb_t_per_ha > 0
    group by grassland_type, survey_year
),

fits as (
    select * from linear_fit
    union all
    select * from power_fit
),

residuals as (
    select
        fits.grassland_type,
        fits.fit_year,
        fits.model_form,
        matched.ndvi,
        matched.agb_t_per_ha,
        case fits.model_form
            when 'linear' then fits.coef_a + fits.coef_b * matched.ndvi
            when 'power' then fits.coef_a * pow(matched.ndvi, fits.coef_b)
        end as predicted_t_per_ha,
    from fits
    inner join matched
        on fits.grassland_type = matched.grassland_type and fits.fit_year = matched.survey_year
    where fits.model_form = 'linear' or (matched.ndvi > 0 and matched.agb_t_per_ha > 0)
),

means as (
    select grassland_type, survey_year as fit_year, avg(agb_t_per_ha) as agb_mean_t_per_ha
    from matched
    group by grassland_type, survey_year
),

scores as (
    select
        residuals.grassland_type,
        residuals.fit_year,
        residuals.model_form,
        count(*) as n_quadrats,
        min(residuals.ndvi) as ndvi_min,
        max(residuals.ndvi) as ndvi_max,
        sqrt(avg((residuals.agb_t_per_ha - residuals.predicted_t_per_ha) ^ 2)) as rmse_t_per_ha,
        1 - sum((residuals.agb_t_per_ha - residuals.predicted_t_per_ha) ^ 2)
            / nullif(sum((residuals.agb_t_per_ha - means.agb_mean_t_per_ha) ^ 2), 0) as r2,
    from residuals
    inner join means on residuals.grassland_type = means.grassland_type and residuals.fit_year = means.fit_year
    group by residuals.grassland_type, residuals.fit_year, residuals.model_form
),

final as (
    select
        fits.grassland_type,
        fits.fit_year,
        fits.model_form,
        round(fits.coef_a, 6) as coef_a,
        round(fits.coef_b, 6) as coef_b,
        round(scores.r2, 4) as r2,
        round(scores.rmse_t_per_ha, 4) as rmse_t_per_ha,
        scores.n_quadrats,
        round(scores.ndvi_min, 4) as ndvi_min,
        round(scores.ndvi_max, 4) as ndvi_max,
        row_number() over (
            partition by fits.grassland_type, fits.fit_year order by scores.rmse_t_per_ha, fits.model_form
        ) = 1 as is_selected,
    from fits
    inner join scores
        on fits.grassland_type = scores.grassland_type
        and fits.fit_year = scores.fit_year
        and fits.model_form = scores.model_form
)

select * from final
