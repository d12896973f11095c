"""Shared building blocks of the dashboard: units, number formatting, tables (HTML + CSV),
page/section containers and mart-reading helpers. Plotly figures (one spec per language) are in
:mod:`dashboards.figures`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dashboards.figures import Figure
from sinkwatch.spreadsheet import neutralise_frame

log = logging.getLogger(__name__)
BEIJING = dt.timezone(dt.timedelta(hours=8))

# Display order of the plan's city-level indicators (others follow alphabetically).
INDICATOR_ORDER = (
    "forest_coverage_pct",
    "forest_stock_m3",
    "grassland_cvc_pct",
    "wetland_protection_rate_pct",
    "sink_project_area_mu",
    "demo_forest_area_mu",
)
# Indicators the bureau reports in plain 亩 (per-county yearly quota of 500 mu), not 万亩.
PLAIN_MU_INDICATORS = {"demo_forest_area_mu"}

LAND_CLASSES: dict[str, tuple[str, str, str]] = {
    # land_class: (zh, en, colour)
    "forest": ("森林", "Forest", "#2e7d32"),
    "grassland": ("草原", "Grassland", "#b08d1a"),
    "wetland": ("湿地", "Wetland", "#1f6fb2"),
}
OUTSIDE_ZH, OUTSIDE_EN, OUTSIDE_COLOUR = "试验区外", "Outside zones", "#9aa3ad"
ON_TRACK_COLOUR, BEHIND_COLOUR, UNKNOWN_COLOUR = "#2e7d32", "#d9822b", "#9aa3ad"


# --------------------------------------------------------------------------------------------
# units and formatting


@dataclass(frozen=True)
class Unit:
    """How a raw mart unit is shown: ``shown = raw / factor``."""

    factor: float
    zh: str
    en: str
    decimals: int


T_CO2E = Unit(1.0, "t CO₂e", "t CO₂e", 0)
WAN_MU = Unit(10_000.0, "万亩", "10k mu", 2)


def display_unit(unit: str | None, indicator: str = "") -> Unit:
    """Units the bureau uses: 万亩 for areas, 万 m³ for stock, % as is."""
    u = (unit or "").strip().lower()
    if u in {"mu", "亩"}:
        if indicator in PLAIN_MU_INDICATORS:
            return Unit(1.0, "亩", "mu", 0)
        return WAN_MU
    if u in {"m3", "m³", "m^3", "cubic_metre", "cubic_meter"}:
        return Unit(10_000.0, "万 m³", "10k m³", 1)
    if u in {"%", "pct", "percent"}:
        return Unit(1.0, "%", "%", 2)
    if u in {"t co2e", "tco2e", "t_co2e", "t co₂e"}:
        return T_CO2E
    return Unit(1.0, unit or "", unit or "", 2)


def isnull(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, float) and math.isnan(x))
    except TypeError:
        return False


def scaled(x: Any, unit: Unit) -> float | None:
    """Raw value converted to the display unit (None stays None)."""
    if isnull(x):
        return None
    return float(x) / unit.factor


def fmt_num(x: Any, decimals: int = 0) -> str:
    if isnull(x):
        return "—"
    return f"{float(x):,.{decimals}f}"


def as_bool(x: Any) -> bool | None:
    return None if isnull(x) else bool(x)


def as_int(x: Any) -> int | None:
    return None if isnull(x) else int(x)


def as_str(x: Any) -> str | None:
    return None if isnull(x) else str(x)


def rounded(values: Any, decimals: int) -> list[float]:
    """``[round(v, decimals) for v in values]`` (Python floats, the same values), vectorised.

    ``np.round`` divides the same integer by 10**decimals, so it agrees with Python's correctly
    rounded ``round`` except where ``v * 10**decimals`` lies so close to a half that the
    multiplication may cross it, or is too large for the integer to be exact; those few values
    go through ``round``."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # inf, nan, 1e308: see below
        r = np.round(v, decimals)
        scaled = v * 10.0**decimals
        odd = (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6) | (np.abs(scaled) >= 2.0**52)
    if odd.any():
        r[odd] = [round(x, decimals) for x in v[odd].tolist()]
    return r.tolist()


def rounded_cells(values: list[Any], decimals: int) -> list[float | None]:
    """``[None if isnull(v) else round(float(v), decimals) for v in values]``, vectorised when
    the values convert to floats at once (a CSV column of 20,000 parcels)."""
    if not all(v is None or isinstance(v, int | float) for v in values):
        # pd.NA, NaT, Decimal, text: one by one
        return [None if isnull(v) else round(float(v), decimals) for v in values]
    arr = np.array(values, dtype=np.float64)  # None -> NaN
    nan = np.isnan(arr)
    out: list[float | None] = rounded(arr, decimals)
    if nan.any():
        for i in np.flatnonzero(nan).tolist():
            out[i] = None
    return out


# --------------------------------------------------------------------------------------------
# tables (one definition drives both the HTML table and its CSV)


@dataclass(frozen=True)
class Col:
    key: str
    zh: str
    en: str
    kind: str = "text"  # text | bi | num | int | flag | link (href under ``href_key``)
    decimals: int = 0
    key_en: str | None = None  # kind == "bi": English text lives under this key
    dec_key: str | None = None  # kind == "num": per-row decimals (rows in different units)
    href_key: str | None = None  # kind == "link": the row's link target

    @property
    def numeric(self) -> bool:
        return self.kind in {"num", "int"}


class Cell:
    """One HTML table cell (attributes, not a dict: jinja tries an attribute before an item, and
    a failed attribute lookup per cell added up over 22 tables of 200 rows)."""

    __slots__ = ("kind", "numeric", "flag", "zh", "en", "href")

    def __init__(self, kind: str, numeric: bool) -> None:
        self.kind = kind
        self.numeric = numeric
        self.flag: bool | None = None
        self.zh: str | None = None
        self.en: str | None = None
        self.href: Any = None


@dataclass
class Table:
    key: str  # CSV file stem, also the HTML anchor
    title_zh: str
    title_en: str
    sources: list[str]
    cols: list[Col]
    records: list[dict[str, Any]]
    note_zh: str = ""
    note_en: str = ""
    unavailable: list[str] = field(default_factory=list)  # marts not yet in the database
    max_rows: int = 400  # HTML shows at most this many rows; the CSV has them all

    @property
    def csv_name(self) -> str:
        return f"{self.key}.csv"

    @property
    def empty(self) -> bool:
        return not self.records

    @property
    def truncated(self) -> bool:
        return len(self.records) > self.max_rows

    def html_rows(self) -> list[list[Cell]]:
        rows = []
        for rec in self.records[: self.max_rows]:
            cells = []
            for c in self.cols:
                v = rec.get(c.key)
                cell = Cell(c.kind, c.numeric)
                if c.kind == "bi":
                    cell.zh = "—" if isnull(v) else str(v)
                    en = rec.get(c.key_en) if c.key_en else None
                    cell.en = cell.zh if isnull(en) else str(en)
                elif c.kind == "flag":
                    cell.flag = as_bool(v)
                elif c.kind == "link":
                    cell.zh = cell.en = "—" if isnull(v) else str(v)
                    cell.href = rec.get(c.href_key) if c.href_key else None
                elif c.kind == "num":
                    d = rec.get(c.dec_key, c.decimals) if c.dec_key else c.decimals
                    cell.zh = cell.en = fmt_num(v, d)
                elif c.kind == "int":
                    cell.zh = cell.en = "—" if isnull(v) else f"{int(v):d}"
                else:
                    cell.zh = cell.en = "—" if isnull(v) else str(v)
                cells.append(cell)
            rows.append(cells)
        return rows

    def frame(self) -> pd.DataFrame:
        data: dict[str, list[Any]] = {}
        for c in self.cols:
            if c.kind == "bi":
                data[f"{c.zh}"] = [r.get(c.key) for r in self.records]
                data[f"{c.en}"] = [r.get(c.key_en) if c.key_en else None for r in self.records]
            elif c.kind == "flag":
                data[f"{c.zh} ({c.en})"] = [
                    {True: "是 yes", False: "否 no"}.get(as_bool(r.get(c.key)), "")  # type: ignore[arg-type]
                    for r in self.records
                ]
            elif c.kind == "num":
                data[f"{c.zh} ({c.en})"] = rounded_cells(
                    [r.get(c.key) for r in self.records], max(c.decimals, 4))
            elif c.kind == "int":
                data[f"{c.zh} ({c.en})"] = pd.array(
                    [as_int(r.get(c.key)) for r in self.records], dtype="Int64"
                )
            else:
                data[f"{c.zh} ({c.en})"] = [r.get(c.key) for r in self.records]
        return pd.DataFrame(data)

    def write_csv(self, data_dir: Path) -> Path:
        out = data_dir / self.csv_name
        # utf-8-sig writes the BOM so that Excel opens the Chinese headers correctly; uploaded
        # text that looks like a formula is neutralised (sinkwatch.spreadsheet)
        neutralise_frame(self.frame()).to_csv(out, index=False, encoding="utf-8-sig",
                                              lineterminator="\r\n")
        return out


# --------------------------------------------------------------------------------------------
# page content


def _indicator_sort_key(indicator: str) -> tuple[int, str]:
    try:
        return (INDICATOR_ORDER.index(indicator), indicator)
    except ValueError:
        return (len(INDICATOR_ORDER), indicator)


def latest_per(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The row with the latest ``year`` for each combination of ``keys``."""
    df = df[df["year"].notna()]
    if df.empty:
        return df
    return df.sort_values("year").groupby(keys, dropna=False, sort=False).tail(1)


def _county_names(counties: pd.DataFrame, col: str) -> dict[str, str]:
    if counties.empty or col not in counties:
        return {}
    return {
        str(k): str(v)
        for k, v in zip(counties["county_code"], counties[col], strict=True)
        if not isnull(k) and not isnull(v)
    }


def _land(land_class: Any) -> tuple[str, str, str]:
    if isnull(land_class):
        return ("—", "—", UNKNOWN_COLOUR)
    return LAND_CLASSES.get(str(land_class), (str(land_class), str(land_class), UNKNOWN_COLOUR))



def land(land_class: Any) -> tuple[str, str, str]:
    """(zh, en, colour) of a land class."""
    return _land(land_class)


def county_names(counties: pd.DataFrame) -> tuple[dict[str, str], dict[str, str]]:
    """county_code -> Chinese name, county_code -> English name (falls back to Chinese)."""
    zh = _county_names(counties, "county_name_zh")
    en = _county_names(counties, "county_name_en")
    return zh, {k: en.get(k) or v for k, v in zh.items()}


def pick(df: pd.DataFrame, *candidates: str) -> str | None:
    """The first of ``candidates`` that is a column of ``df`` (marts still evolve)."""
    for c in candidates:
        if c in df.columns:
            return c
    return None


def num_or_none(x: Any) -> float | None:
    return None if isnull(x) else float(x)


# --------------------------------------------------------------------------------------------
# pages


@dataclass
class Kpi:
    label_zh: str
    label_en: str
    value: str
    unit: str = ""
    source: str = ""
    sub_zh: str = ""
    sub_en: str = ""
    tone: str = ""  # "" | ok | bad | warn


@dataclass
class Section:
    id: str
    title_zh: str
    title_en: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note_zh: str = ""
    note_en: str = ""
    cards: list[dict[str, Any]] = field(default_factory=list)  # indicator cards (overview)
    links: list[dict[str, Any]] = field(default_factory=list)  # link tiles (zone pages)
    grid: bool = False  # figures two per row
    unavailable: list[str] = field(default_factory=list)


@dataclass
class Page:
    slug: str  # file name without .html
    nav: str  # which top-nav entry is active
    title_zh: str
    title_en: str
    lead_zh: str = ""
    lead_en: str = ""
    kpis: list[Kpi] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    crumbs: list[tuple[str, str, str]] = field(default_factory=list)  # (href, zh, en)
    sources: list[str] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"{self.slug}.html"

    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def marts(self) -> list[str]:
        names: list[str] = []
        for item in [*self.figures(), *self.tables()]:
            for n in item.sources:
                if n not in names:
                    names.append(n)
        for k in self.kpis:
            for n in k.source.split(" · "):
                if n and n not in names:
                    names.append(n)
        return names


NAV = (
    ("index", "总览", "Overview"),
    ("alerts", "警情", "Alerts"),
    ("zones", "碳汇发展区", "Zones"),
    ("counties", "旗县区", "Counties"),
    ("disturbances", "灾害与损失", "Disturbances"),
    ("trading", "碳汇交易", "Carbon trading"),
    ("health", "数据质量", "Data health"),
)


# --------------------------------------------------------------------------------------------
# the marts, read once


@dataclass
class Marts:
    """Every table the site reads: in memory, or read on first access (a build's
    ``dashboards.reading.LazyFrames``/``LazyRaw``). ``missing`` lists optional marts not (yet)
    built."""

    frames: Mapping[str, pd.DataFrame]
    missing: list[str] = field(default_factory=list)
    raw: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # raw-layer fallbacks
    gate_results: list[dict[str, Any]] = field(default_factory=list)  # GX validation files
    data_docs: Path | None = None  # $SINKWATCH_HOME/gx/data_docs (copied into the site)
    home: Path | None = None
    #: What the pages derive from these tables more than once (parsed parcel geometry, ...),
    #: kept for this build only: a new ``Marts`` (the next build) starts empty.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: Content fingerprint of each input (mart name, or ``raw:<family>``) and the store that
    #: keeps the parsed parcel geometry between builds, keyed by the fingerprint of the parcels
    #: it came from (dashboards.incremental.GeometryStore). Empty/None: no such cache.
    fingerprints: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    geometry_store: Any = field(default=None, repr=False, compare=False)
    #: When a set: every input name a page asked for (``get``, ``has``, ``first``,
    #: ``raw_frame``), to check it against the page module's declared ``READS``.
    accessed: set[str] | None = field(default=None, repr=False, compare=False)

    def _note(self, name: str) -> None:
        if self.accessed is not None:
            self.accessed.add(name)

    def get(self, name: str) -> pd.DataFrame:
        self._note(name)
        return self.frames.get(name, pd.DataFrame())

    def has(self, name: str) -> bool:
        self._note(name)
        return name in self.frames

    def first(self, *names: str) -> tuple[str | None, pd.DataFrame]:
        """The first of ``names`` that exists (name, frame); (None, empty) if none does."""
        for n in names:
            self._note(n)
            if n in self.frames:
                return n, self.frames[n]
        return None, pd.DataFrame()

    def raw_frame(self, family: str) -> pd.DataFrame | None:
        """The raw-layer fallback of ``family`` (None when there is none)."""
        self._note(f"raw:{family}")
        return self.raw.get(family)

    def shape(self, name: str) -> tuple[int, list[str]] | None:
        """(rows, columns) of a mart, None when it is not there (as ``has``); lazily read
        marts are not read for it."""
        self._note(name)
        if name not in self.frames:
            return None
        shape_of = getattr(self.frames, "shape_of", None)
        if shape_of is not None:
            return shape_of(name)
        df = self.frames[name]
        return len(df), list(df.columns)

    def has_raw(self, family: str) -> bool:
        """Whether the raw layer has files of ``family`` (lazily read families are not read
        for it: their ``raw_frame`` may still be None when the files turn out unreadable)."""
        self._note(f"raw:{family}")
        available = getattr(self.raw, "available", None)
        return available(family) if available is not None else family in self.raw
