-- Static thermal sources are masked, never counted as fires: a masked detection belongs to no
-- fire event, and every unmasked detection belongs to one. Rows returned are violations.
select hotspot_id, is_masked, mask_reason, event_id
from {{ ref('fct_fire_detections') }}
where (is_masked and event_id is not null)
    or (not is_masked and event_id is null)
