"""The Great Expectations suites of the sinkwatch gate, defined in Python with the GX 1.x API.

Two stages, one suite per thing gated:

* ``raw__<family>``: one per upload family of ``sinkwatch.contracts``, derived from its column
  contract (columns exist, required columns not null, min/max ranges, allowed sets, natural key
  unique, at least one row) plus a few ecological rules that a single batch can check.
* ``marts__<table>``: one per published mart table built by dbt.

Every expectation carries a severity, both as GX's own ``severity`` field and as
``meta={"severity": ...}``: ``critical`` (the default) blocks the pipeline, ``warning`` is
reported but never blocks.

``python -m expectations.suites`` (or :func:`write_suites`) rewrites the committed GX file
context under ``expectations/gx/``; the JSON there is generated, never edited by hand.
``python -m expectations.suites --check`` exits 1 when the committed JSON is out of date.

The severities, stages, thresholds, suite names and the suite builder are in
``expectations/definitions.py``. Great Expectations is imported inside functions only (the
import takes ~10-15 s).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.definitions import (
    ALERT_SEVERITIES,
    ALERT_STATES,
    ALERT_TYPES,
    ANNUAL_SINK_METHODS,
    DBH_SHRINK_TOLERANCE_CM_PER_YR,
    FRESHNESS_PARAMETER,
    GX_PROJECT_ROOT,
    MARTS,
    MARTS_STAGE,
    MAX_CARBON_DENSITY_T_C_PER_HA,
    MAX_GRASSLAND_CARBON_DENSITY_T_C_PER_HA,
    MAX_SUMMER_SNOW_CLOUD_SHARE,
    MAY_BE_EMPTY,
    N_ZONES,
    RAW_STAGE,
    SINK_YOY_RATIO_BOUNDS,
    TARGET_INDICATORS,
    TODAY_PARAMETER,
    VIIRS_CONFIDENCE,
    WARNING,
    ZONE_AREA_TOLERANCE,
    SuiteBuilder,
    generated_meta,
    import_gx,
    mart_suite_name,
    plausibility_bounds,
    raw_suite_name,
)
from sinkwatch.config import EXPECTATIONS_DIR
from sinkwatch.contracts import COUNTY_CODES, FAMILIES, LAND_CLASSES, Family

if TYPE_CHECKING:
    from types import ModuleType

    from great_expectations import ExpectationSuite



def raw_suite(family: Family) -> ExpectationSuite:
    """Suite ``raw__<family>``: the column contract, then the family's ecological rules."""
    gxe = import_gx().expectations
    s = SuiteBuilder(
        raw_suite_name(family.name),
        generated_meta(stage=RAW_STAGE, family=family.name, description=family.description),
    )
    s.add(gxe.ExpectTableRowCountToBeBetween, min_value=1)
    for c in family.columns:
        s.add(gxe.ExpectColumnToExist, column=c.name)
    for c in family.columns:
        if c.required:
            s.add(gxe.ExpectColumnValuesToNotBeNull, column=c.name)
        if c.min is not None or c.max is not None:
            s.add(
                gxe.ExpectColumnValuesToBeBetween,
                column=c.name,
                min_value=c.min,
                max_value=c.max,
                notes=f"contract range, unit {c.unit}" if c.unit else "contract range",
            )
        if c.allowed is not None:
            s.add(gxe.ExpectColumnValuesToBeInSet, column=c.name, value_set=list(c.allowed))
    if len(family.key) > 1:
        s.add(
            gxe.ExpectCompoundColumnsToBeUnique,
            column_list=list(family.key),
            notes="natural key of one row",
        )
    else:
        s.add(
            gxe.ExpectColumnValuesToBeUnique, column=family.key[0], notes="natural key of one row"
        )
    _ecological_rules(family.name, s, gxe)
    return s.build()


def _ecological_rules(family: str, s: SuiteBuilder, gxe: ModuleType) -> None:
    """Rules beyond the column contract that one received batch can check."""
    from great_expectations.expectations.row_conditions import Column

    if family == "vegetation_indices":
        s.add(
            gxe.ExpectColumnValuesToBeBetween,
            column="ndvi",
            min_value=-0.2,
            max_value=1.0,
            notes="NDVI of land lies in [-0.2, 1]; outside it is a fill value or an unscaled "
            "MOD13Q1 integer (scale factor 0.0001 not applied).",
        )
    elif family == "grassland_quadrats":
        s.add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="fresh_mass_g",
            column_B="dry_mass_g",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            notes="Oven-dry mass cannot exceed the fresh mass of the same clipping.",
        )
    elif family == "fire_hotspots":
        s.add(
            gxe.ExpectColumnValuesToBeInSet,
            column="confidence_raw",
            value_set=list(VIIRS_CONFIDENCE),
            row_condition=Column("instrument") == "VIIRS",
            notes="VIIRS confidence is a class (l/n/h), unlike MODIS's 0-100 number.",
        )
        s.add(
            gxe.ExpectColumnValuesToBeBetween,
            column="acq_date",
            max_value={"$PARAMETER": TODAY_PARAMETER},
            severity=WARNING,
            notes="A detection dated in the future points at a time-zone or parsing error.",
        )
    elif family == "fire_reports":
        s.add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="end_date",
            column_B="start_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            notes="A fire ends on or after the day it starts.",
        )
    elif family == "wetland_surveys":
        s.add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="wetland_area_mu",
            column_B="protected_area_mu",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            severity=WARNING,
            notes="Protected wetland area normally does not exceed the wetland area "
            "(a reserve boundary can include dry land, hence only a warning).",
        )


def mart_suite(table: str) -> ExpectationSuite:
    """Suite ``marts__<table>`` for one published mart."""
    if table not in MARTS:
        raise KeyError(f"unknown mart {table!r}; known: {sorted(MARTS)}")
    gxe = import_gx().expectations
    s = SuiteBuilder(mart_suite_name(table), generated_meta(stage=MARTS_STAGE, table=table))
    s.add(gxe.ExpectTableRowCountToBeBetween, min_value=0 if table in MAY_BE_EMPTY else 1)
    for col in MARTS[table]:
        s.add(gxe.ExpectColumnToExist, column=col)

    def not_null(*cols: str) -> None:
        for col in cols:
            s.add(gxe.ExpectColumnValuesToNotBeNull, column=col)

    def between(col: str, lo: float | None, hi: float | None = None, **kw: Any) -> None:
        s.add(gxe.ExpectColumnValuesToBeBetween, column=col, min_value=lo, max_value=hi, **kw)

    def in_set(col: str, values: Sequence[str]) -> None:
        s.add(gxe.ExpectColumnValuesToBeInSet, column=col, value_set=list(values))

    if table == "fct_ledger_balances":
        not_null("parcel_id", "vintage", "scheme_code", "available_units", "shortfall_units")
        for col in ("creditable_units", "issued_units", "buffer_units", "reversed_units"):
            between(col, 0)
        between(
            "shortfall_units",
            0,
            0,
            notes="Reconciliation with the sink account, per parcel-year: creditable units of "
            "this build = issued + buffer + available. Units issued beyond the verified sink "
            "(available < 0) that loss reversals do not cover fail the run: record the loss "
            "(sinkwatch ledger loss) before anything is published.",
        )
        s.add(
            gxe.ExpectCompoundColumnsToBeUnique,
            column_list=["parcel_id", "vintage", "scheme_code"],
            notes="one row per parcel, vintage and scheme",
        )
    elif table == "fct_project_credits":
        not_null("project_id", "vintage", "creditable_t", "buffer_t")
        for col in ("creditable_t", "buffer_t", "baseline_t", "leakage_t",
                    "uncertainty_deduction_t"):
            between(col, 0)
    elif table == "fct_carbon_stock":
        not_null(
            "parcel_id",
            "inventory_year",
            "county_code",
            "land_class",
            "area_mu",
            "carbon_t",
            "co2e_t",
            "carbon_density_t_c_per_ha",
        )
        between("inventory_year", 2000, 2100)
        in_set("county_code", COUNTY_CODES)
        in_set("land_class", LAND_CLASSES)
        for col in ("area_mu", "agb_t_dm", "bgb_t_dm", "carbon_t", "co2e_t"):
            between(col, 0)
        between(
            "carbon_density_t_c_per_ha",
            0,
            MAX_CARBON_DENSITY_T_C_PER_HA,
            notes="Plausible carbon density of vegetation, t C/ha.",
        )
        from great_expectations.expectations.row_conditions import Column

        between(
            "carbon_density_t_c_per_ha",
            0,
            MAX_GRASSLAND_CARBON_DENSITY_T_C_PER_HA,
            row_condition=Column("land_class") == "grassland",
            notes="Plausible herbaceous carbon density (above + below ground), t C/ha.",
        )
        s.add(
            gxe.ExpectCompoundColumnsToBeUnique,
            column_list=["parcel_id", "inventory_year"],
            notes="one row per parcel and inventory year",
        )
    elif table == "fct_annual_sink":
        not_null(
            "year",
            "county_code",
            "land_class",
            "method",
            "area_mu",
            "removals_co2e_t",
            "emissions_co2e_t",
            "net_sink_co2e_t",
        )
        between("year", 2000, 2100)
        in_set("county_code", COUNTY_CODES)
        in_set("land_class", LAND_CLASSES)
        in_set("method", ANNUAL_SINK_METHODS)
        between("area_mu", 0)
        between(
            "emissions_co2e_t",
            0,
            notes="Emissions are reported as a positive quantity; net = removals - emissions.",
        )
        between(
            "removals_co2e_t",
            0,
            severity=WARNING,
            notes="Removals are reported as a positive quantity (sign convention check).",
        )
        between("net_sink_u95_co2e_t", 0, notes="An uncertainty half-width is not negative.")
        for a, b in (("net_sink_co2e_t", "net_sink_ci95_low_co2e_t"),
                     ("net_sink_ci95_high_co2e_t", "net_sink_co2e_t")):
            s.add(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                column_A=a,
                column_B=b,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                notes="The estimate lies inside its 95 % confidence interval.",
            )
    elif table == "fct_zone_progress":
        s.add(gxe.ExpectTableRowCountToBeBetween, min_value=N_ZONES, max_value=N_ZONES,
              notes="All 22 development zones are reported, none invented.")
        not_null("zone_id", "land_class", "planned_area_mu")
        s.add(gxe.ExpectColumnValuesToBeUnique, column="zone_id")
        s.add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="parcel_area_mu",
            column_B="project_area_mu",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            severity=WARNING,
            notes="Sink-project area counted in a zone does not exceed the zone's parcels.",
        )
    elif table == "fct_demo_forest_compliance":
        not_null("county_code", "year", "planted_area_mu", "is_compliant")
        in_set("county_code", COUNTY_CODES)
        between("planted_area_mu", 0)
        between("shortfall_mu", 0)
        s.add(gxe.ExpectCompoundColumnsToBeUnique, column_list=["county_code", "year"])
    elif table == "qa_tree_remeasurement":
        not_null("dbh_max_cm")
        for a, b, why in (
            ("dbh_max_cm", "dbh_cm", "DBH within the species' plausible maximum"),
            ("height_max_m", "height_m", "height within the species' plausible maximum"),
            ("dbh_growth_max_cm_per_yr", "dbh_growth_cm_per_yr",
             "no impossible DBH growth between inventory cycles"),
        ):
            s.add(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                column_A=a,
                column_B=b,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                notes=why + " (bounds in seed_species_bounds).",
            )
        between(
            "dbh_growth_cm_per_yr",
            -DBH_SHRINK_TOLERANCE_CM_PER_YR,
            None,
            notes="A live tree's DBH does not shrink between cycles beyond measurement error.",
        )
        in_set("is_resurrected", [False])
    elif table == "qa_plot_locations":
        s.add(
            gxe.ExpectColumnValuesToBeInSet,
            column="is_in_parcel",
            value_set=[True],
            notes="A plot or quadrat lies inside the parcel it names (GPS error or wrong "
            "parcel id otherwise: its carbon would go to the wrong stratum).",
        )
    elif table == "qa_vegetation_index_seasons":
        from great_expectations.expectations.row_conditions import Column

        between(
            "snow_cloud_share",
            0,
            MAX_SUMMER_SNOW_CLOUD_SHARE,
            row_condition=Column("season") == "summer",
            severity=WARNING,
            notes="Growing-season composites mostly snow/cloud flagged: NDVI of the season is "
            "unreliable for that parcel.",
        )
        between(
            "newest_composite_date",
            None,
            {"$PARAMETER": TODAY_PARAMETER},
            notes="No composite is dated in the future.",
        )
    elif table == "qa_mart_reconciliation":
        from great_expectations.expectations.row_conditions import Column

        between(
            "ratio",
            0,
            ZONE_AREA_TOLERANCE,
            row_condition=Column("check_kind") == "zone",
            notes="The parcels of a zone add up to at most its planned area (1 % tolerance).",
        )
        between(
            "ratio",
            1,
            1,
            row_condition=Column("check_kind") == "indicator",
            notes="Every plan indicator (seed_targets) is reported for the reporting year; "
            "a missing one has ratio 0 and is named in the failure sample.",
        )
        lo, hi = SINK_YOY_RATIO_BOUNDS
        between(
            "ratio",
            lo,
            hi,
            row_condition=Column("check_kind") == "sink_yoy",
            severity=WARNING,
            notes="City net sink of a land class changed by more than half year on year.",
        )
        between(
            "ratio",
            0,
            1,
            row_condition=Column("check_kind") == "method_overlap",
            notes="Time-series consistency (IPCC 2006 V1 Ch5): where gain-loss and stock "
            "difference can both be computed, each method's forest sink lies inside the other's "
            "95 % interval (|difference| / the smaller half-width <= 1).",
        )
    elif table == "qa_plausibility":
        from great_expectations.expectations.row_conditions import Column

        not_null("check_id", "value")
        for b in plausibility_bounds():
            between(
                "value",
                b["lower_bound"],
                b["upper_bound"],
                row_condition=Column("check_id") == b["check_id"],
                severity=WARNING,
                notes=f"Plausibility: {b['description']} lies in [{b['lower_bound']:g}, "
                f"{b['upper_bound']:g}] {b['unit']}. Bound ({b['source_status']}, "
                f"seed_plausibility_bounds): {b['source']}",
            )
    elif table == "fct_alerts":
        not_null("alert_id", "alert_type", "severity", "state", "title", "first_seen_at")
        s.add(gxe.ExpectColumnValuesToBeUnique, column="alert_id")
        in_set("alert_type", ALERT_TYPES)
        in_set("severity", ALERT_SEVERITIES)
        in_set("state", ALERT_STATES)
    elif table == "meta_run":
        not_null("run_id", "built_at")
        between(
            "data_as_of",
            {"$PARAMETER": FRESHNESS_PARAMETER},
            None,
            severity=WARNING,
            notes="Freshness: the newest data is not older than SINKWATCH_FRESHNESS_DAYS.",
        )
    elif table == "fct_target_progress":
        not_null("scope", "indicator", "year", "value", "unit")
        between("year", 2000, 2100)
        s.add(
            gxe.ExpectColumnDistinctValuesToContainSet,
            column="indicator",
            value_set=list(TARGET_INDICATORS),
            notes="Every indicator of the pilot-zone work plan is reported.",
        )
    return s.build()


def build_suites() -> list[ExpectationSuite]:
    """All suites, raw first, in a stable order."""
    return [raw_suite(f) for f in FAMILIES.values()] + [mart_suite(t) for t in MARTS]


def _open_committed_context(project_root: Path) -> Any:
    gx = import_gx()
    return gx.get_context(mode="file", project_root_dir=project_root)


def write_suites(project_root: Path = GX_PROJECT_ROOT) -> list[Path]:
    """(Re)write every suite into the GX file context ``<project_root>/gx/`` and delete suites
    that are no longer defined. Expectation ids are derived from suite, type and domain, so a
    rewrite with no change leaves the JSON byte-identical. Returns the suite JSON files."""
    gx = import_gx()
    context = _open_committed_context(project_root)
    suites = build_suites()
    wanted = {s.name for s in suites}
    existing = {s.name for s in context.suites.all()}
    for name in sorted(existing - wanted):
        context.suites.delete(name)
    for suite in suites:
        if suite.name not in existing:
            # `add` gives every expectation a random id; `add_or_update` of an existing suite
            # keeps the ids we set. So create the suite empty, then write it.
            context.suites.add(gx.ExpectationSuite(name=suite.name))
        context.suites.add_or_update(suite)
    return sorted((Path(context.root_directory) / "expectations").glob("*.json"))


def stale_suites(project_root: Path = GX_PROJECT_ROOT) -> list[str]:
    """Names of suites whose committed JSON differs from the Python definition (or is missing,
    or is no longer defined)."""
    from great_expectations.exceptions import DataContextError

    context = _open_committed_context(project_root)
    stale: list[str] = []
    suites = build_suites()
    for suite in suites:
        try:
            stored = context.suites.get(suite.name)
        except DataContextError:
            stale.append(suite.name)
            continue
        if stored.expectations != suite.expectations or stored.meta != suite.meta:
            stale.append(suite.name)
    defined = {s.name for s in suites}
    stale += sorted(s.name for s in context.suites.all() if s.name not in defined)
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m expectations.suites",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed suite JSON is out of date; write nothing",
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_suites()
        for name in stale:
            print(f"stale: {name}")
        print("suites up to date" if not stale else "run: python -m expectations.suites")
        return 1 if stale else 0
    for path in write_suites():
        print(path.relative_to(EXPECTATIONS_DIR.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
