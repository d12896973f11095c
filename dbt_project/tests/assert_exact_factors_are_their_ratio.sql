-- A factor defined as a ratio (seed_carbon_factors.value_numerator / value_denominator: 44/12,
-- 10000/15) holds exactly that quotient in double precision, and the two definitions are there.
select parameter, stratum, value, value_numerator, value_denominator
from {{ ref('seed_carbon_factors') }}
where (value_numerator is not null or value_denominator is not null)
    and value is distinct from value_numerator / value_denominator
union all
select parameter, stratum, value, value_numerator, value_denominator
from (values ('c_to_co2', 'all'), ('area_mu_m2', 'unit')) as required (parameter, stratum)
left join {{ ref('seed_carbon_factors') }} using (parameter, stratum)
where value_numerator is null or value_denominator is null
