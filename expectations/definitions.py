"""What the gate's suites are made of: severities, stages, the mart tables gated with their
columns, the thresholds of the ecological and reconciliation rules, suite names, and the builder
that turns rules into a GX suite with stable expectation ids.

Great Expectations is imported inside functions only (the import takes ~10-15 s), so the names
and constants here are cheap to import.
"""

from __future__ import annotations

import csv
import logging
import uuid
from typing import TYPE_CHECKING, Any

from sinkwatch.config import DBT_PROJECT_DIR, EXPECTATIONS_DIR
from sinkwatch.contracts import FAMILIES

if TYPE_CHECKING:
    from types import ModuleType

    from great_expectations import ExpectationSuite
    from great_expectations.expectations import Expectation

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)

RAW_STAGE = "raw"
MARTS_STAGE = "marts"

#: ``gx.get_context(mode="file", project_root_dir=GX_PROJECT_ROOT)`` opens ``expectations/gx/``.
GX_PROJECT_ROOT = EXPECTATIONS_DIR
GX_DIR = EXPECTATIONS_DIR / "gx"
#: Where the generated suite JSON lives (the expectations store of the committed context).
SUITES_DIR = GX_DIR / "expectations"

#: Suite parameter filled at validation time with the date of the run ("not in the future").
TODAY_PARAMETER = "today"

#: Columns of the published marts (dbt models under ``models/marts/``).
MARTS: dict[str, tuple[str, ...]] = {
    "fct_carbon_stock": (
        "parcel_id",
        "inventory_year",
        "county_code",
        "zone_id",
        "land_class",
        "area_mu",
        "agb_t_dm",
        "bgb_t_dm",
        "carbon_t",
        "co2e_t",
        "carbon_density_t_c_per_ha",
    ),
    "fct_annual_sink": (
        "year",
        "zone_id",
        "county_code",
        "land_class",
        "method",
        "area_mu",
        "removals_co2e_t",
        "emissions_co2e_t",
        "net_sink_co2e_t",
    ),
    "fct_target_progress": (
        "scope",
        "scope_id",
        "indicator",
        "year",
        "value",
        "unit",
        "target_value",
    ),
    # Gate inputs built by dbt under models/marts/ops/ (cross-file and cross-mart checks).
    "qa_tree_remeasurement": (
        "plot_id",
        "tree_id",
        "species",
        "dbh_cm",
        "height_m",
        "dbh_max_cm",
        "height_max_m",
        "dbh_growth_cm_per_yr",
        "dbh_growth_max_cm_per_yr",
        "is_resurrected",
    ),
    "qa_vegetation_index_seasons": (
        "parcel_id",
        "composite_year",
        "season",
        "snow_cloud_share",
        "newest_composite_date",
    ),
    "qa_mart_reconciliation": ("check_kind", "subject", "ratio"),
    "qa_plausibility": (
        "check_id",
        "check_kind",
        "subject",
        "year",
        "value",
        "lower_bound",
        "upper_bound",
        "bound_source",
    ),
    "meta_run": ("run_id", "built_at", "data_as_of"),
    "qa_plot_locations": ("sample_kind", "sample_id", "parcel_id", "lon", "lat", "is_in_parcel"),
    "fct_zone_progress": (
        "zone_id",
        "land_class",
        "planned_area_mu",
        "parcel_area_mu",
        "project_area_mu",
        "net_sink_latest_co2e_t",
    ),
    "fct_demo_forest_compliance": (
        "county_code",
        "year",
        "planted_area_mu",
        "required_min_area_mu",
        "is_compliant",
        "shortfall_mu",
    ),
    # Operational alerts (monitoring/), the nightly copy of the alert store.
    "fct_alerts": ("alert_id", "alert_type", "severity", "state", "title", "first_seen_at"),
    # carbon-offset trading (#15): the ledger snapshot reconciled with tonight's sink
    "fct_ledger_balances": ("parcel_id", "vintage", "scheme_code", "creditable_units",
                            "issued_units", "buffer_units", "reversed_units", "available_units",
                            "shortfall_units"),
    "fct_project_credits": ("project_id", "vintage", "gross_removals_t", "baseline_t",
                            "leakage_t", "uncertainty_deduction_t", "creditable_t", "buffer_t"),
}
#: Marts that are legitimately empty (a quiet night has no alert; no project uploaded, nothing
#: issued): no minimum row count.
MAY_BE_EMPTY = ("fct_alerts", "fct_ledger_balances", "fct_project_credits")
#: Alert types, severities and states (monitoring/store.py).
ALERT_TYPES = ("fire_event", "fire_danger", "pest_outbreak", "ndvi_anomaly")
ALERT_SEVERITIES = ("info", "warning", "high", "critical")
ALERT_STATES = ("open", "acknowledged", "closed")
#: The pilot zone's development zones: 12 forest, 5 grassland, 5 wetland.
N_ZONES = 22
#: Expectation parameter: the oldest acceptable date of the newest data (freshness rule).
FRESHNESS_PARAMETER = "freshness_min_date"
#: DBH may shrink by this much per year between cycles (tape position, bark) before it is an error.
DBH_SHRINK_TOLERANCE_CM_PER_YR = 0.5
#: A summer season with more snow/cloud-flagged composites than this gives no usable NDVI.
MAX_SUMMER_SNOW_CLOUD_SHARE = 0.5
#: Zone parcels may exceed the planned zone area by this factor (digitising tolerance).
ZONE_AREA_TOLERANCE = 1.01
#: City net sink of a land class may change by this factor year on year before it is questioned.
SINK_YOY_RATIO_BOUNDS = (0.5, 1.5)
#: Upper bound of a plausible grassland (herbaceous) carbon density, t C/ha.
MAX_GRASSLAND_CARBON_DENSITY_T_C_PER_HA = 30
#: Accounting methods of fct_annual_sink, as documented in models/marts/accounting/
#: _accounting__models.yml (non_co2_only: forest years with fire CH4/N2O but no stock estimate;
#: ipcc_tier1_soc: grassland with a soil-carbon change after a management change; ws13_ch5 /
#: ws13_ch3: managed wetlands by the 2013 Wetlands Supplement; memo_excluded: wetlands outside the
#: inventory, their CH4 a memo item).
ANNUAL_SINK_METHODS = (
    "stock_difference", "gain_loss", "tier1_no_change", "ipcc_tier1_soc", "ws13_ch5", "ws13_ch3",
    "memo_excluded", "non_co2_only",
)
#: Indicators of the pilot-zone work plan that the progress mart must always report.
TARGET_INDICATORS = (
    "forest_coverage_pct",
    "forest_stock_m3",
    "grassland_cvc_pct",
    "wetland_protection_rate_pct",
    "sink_project_area_mu",
    "demo_forest_area_mu",
)
#: VIIRS 375 m active fire confidence classes as FIRMS writes them (short and long forms).
VIIRS_CONFIDENCE = ("l", "n", "h", "low", "nominal", "high")
#: Upper bound of a plausible carbon density (t C/ha); mature forest rarely exceeds ~250.
MAX_CARBON_DENSITY_T_C_PER_HA = 300
#: The plausibility bounds of the published figures, one row per check with its source (a dbt
#: seed, so that the mart qa_plausibility and the suite marts__qa_plausibility read the same rows).
PLAUSIBILITY_BOUNDS_SEED = DBT_PROJECT_DIR / "seeds" / "seed_plausibility_bounds.csv"


def plausibility_bounds() -> list[dict[str, Any]]:
    """The rows of :data:`PLAUSIBILITY_BOUNDS_SEED` (bounds as floats), in file order."""
    with PLAUSIBILITY_BOUNDS_SEED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["lower_bound"], r["upper_bound"] = float(r["lower_bound"]), float(r["upper_bound"])
    return rows


def raw_suite_name(family: str) -> str:
    return f"{RAW_STAGE}__{family}"


def mart_suite_name(table: str) -> str:
    return f"{MARTS_STAGE}__{table}"


def suite_names() -> list[str]:
    return [raw_suite_name(f) for f in FAMILIES] + [mart_suite_name(t) for t in MARTS]


def import_gx() -> ModuleType:
    """Import GX quietly: its logger is noisy at INFO, and must be set before the import."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://sinkwatch/expectations")


class SuiteBuilder:
    """Collects expectations for one suite; a later rule on the same domain replaces an earlier
    one (so an ecological rule can restate a contract range with its reason, not duplicate it)."""

    def __init__(self, name: str, meta: dict[str, Any]) -> None:
        self.name = name
        self.meta = meta
        self._items: dict[tuple[str, str], Expectation] = {}

    def add(
        self,
        expectation_cls: type[Expectation],
        *,
        severity: str = CRITICAL,
        notes: str | None = None,
        **kwargs: Any,
    ) -> None:
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
        domain = repr(
            {
                k: kwargs[k]
                for k in ("column", "column_list", "column_A", "column_B", "row_condition")
                if k in kwargs
            }
        )
        self._items[(expectation_cls.expectation_type, domain)] = expectation_cls(
            **kwargs, severity=severity, meta={"severity": severity}, notes=notes
        )

    def build(self) -> ExpectationSuite:
        gx = import_gx()
        suite = gx.ExpectationSuite(
            name=self.name, expectations=list(self._items.values()), meta=self.meta
        )
        # A stable id (suite + type + domain) keeps regenerated JSON identical when nothing
        # changed, and keeps an expectation's id when only its bounds change. (Set after the
        # suite is built: GX refuses expectations that already carry an id.)
        for (expectation_type, domain), expectation in zip(
            self._items, suite.expectations, strict=True
        ):
            key = f"{self.name}|{expectation_type}|{domain}"
            expectation.id = str(uuid.uuid5(_ID_NAMESPACE, key))
        return suite


def generated_meta(**extra: Any) -> dict[str, Any]:
    return {"generated_by": "expectations/suites.py (do not edit the JSON)", **extra}

