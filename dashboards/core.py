"""Shared building blocks of the dashboard: units, number formatting, tables (HTML + CSV),
Plotly figures (one spec per language), page/section containers and mart-reading helpers.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

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
FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif'
)


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
        # utf-8-sig writes the BOM so that Excel opens the Chinese headers correctly.
        self.frame().to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        return out


# --------------------------------------------------------------------------------------------
# figures


@dataclass
class Figure:
    key: str
    title_zh: str
    title_en: str
    sources: list[str]
    fig_zh: go.Figure | None
    fig_en: go.Figure | None
    empty_zh: str = "暂无数据"
    empty_en: str = "No data"
    note_zh: str = ""
    note_en: str = ""
    unavailable: list[str] = field(default_factory=list)  # marts not yet in the database
    wide: bool = False  # spans the whole row in a two-column section

    _specs: tuple[str, str, str] | None = field(default=None, init=False, repr=False,
                                                 compare=False)

    @property
    def empty(self) -> bool:
        return self.fig_zh is None

    def spec(self, lang: str) -> str:
        """The figure's JSON for ``lang`` (safe inside <script>)."""
        zh, en, _ = self._json()
        return zh if lang == "zh" else en

    @property
    def shared(self) -> str:
        """JSON list of the trace values both languages share ("" if none); a language's spec
        holds ``{"$shared": i}`` in their place and names this list's script element under
        ``"shared"`` (site.js puts the values back before plotting)."""
        return self._json()[2]

    def _json(self) -> tuple[str, str, str]:
        from plotly.io.json import to_json_plotly

        if self._specs is None:
            assert self.fig_zh is not None and self.fig_en is not None
            zh, en = fig_dict(self.fig_zh), fig_dict(self.fig_en)
            values = share_values(zh, en)
            if values:
                zh["shared"] = en["shared"] = f"spec-{self.key}-shared"
            self._specs = (script_json(to_json_plotly(zh)), script_json(to_json_plotly(en)),
                           script_json(to_json_plotly(values)) if values else "")
        return self._specs


#: Trace values at least this large (characters of base64, or list items) are written once per
#: figure when both languages have them: a zone page's parcel map is the same polygons and
#: hover ids in zh and en, only the county labels differ.
SHARE_MIN_BDATA = 4096
SHARE_MIN_ITEMS = 500


def _shareable(v: Any) -> bool:
    if isinstance(v, dict):
        b = v.get("bdata")
        return isinstance(b, str) and len(b) >= SHARE_MIN_BDATA
    if isinstance(v, np.ndarray):  # a string or object array (numbers are bdata by now)
        return v.size >= SHARE_MIN_ITEMS
    return isinstance(v, list) and len(v) >= SHARE_MIN_ITEMS


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.all(a == b))
    return bool(a == b)


def share_values(a: dict[str, Any], b: dict[str, Any]) -> list[Any]:
    """Move the large trace values that figure dicts ``a`` and ``b`` have in common (same trace,
    same key, equal value) into a list; both keep ``{"$shared": index}`` in their place."""
    values: list[Any] = []
    for ta, tb in zip(a.get("data") or [], b.get("data") or [], strict=False):
        for k, v in ta.items():
            if _shareable(v) and k in tb and _same(v, tb[k]):
                ta[k] = tb[k] = {"$shared": len(values)}
                values.append(v)
    return values


def fig_dict(fig: Any) -> dict[str, Any]:
    """The dict that ``go.Figure.to_json`` encodes (numpy arrays as base64 typed arrays, no
    trace uids), for a ``Fig`` or a ``go.Figure``."""
    if isinstance(fig, Fig):
        return fig.to_dict()
    d = fig.to_dict()
    for t in d.get("data", []):
        t.pop("uid", None)
    return d


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            into[k] = dict(into[k])
            _merge(into[k], v)
        else:
            into[k] = v


def _plain_copy(v: Any) -> Any:
    """A copy of the dicts, lists and tuples in ``v``; everything else is shared (numpy arrays
    that plotly's validators made read-only, strings, numbers)."""
    if isinstance(v, dict):
        return {k: _plain_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain_copy(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_plain_copy(x) for x in v)
    return v


def _trace_dict(trace: Any) -> dict[str, Any]:
    """``trace.to_plotly_json()`` without its ``deepcopy``, which copies an object array (hover
    texts of 20,000 parcels) element by element; the arrays are read-only and ``to_dict`` only
    replaces values in the copied dicts."""
    props = getattr(trace, "_props", None)
    if isinstance(props, dict) and hasattr(trace, "to_plotly_json"):
        return _plain_copy(props)
    return trace.to_plotly_json() if hasattr(trace, "to_plotly_json") else _plain_copy(dict(trace))


class Fig:
    """A plotly figure collected cheaply: ``add_trace`` keeps the trace and ``update_layout``
    merges into a dict (nested dicts merged, as plotly does); one ``go.Figure(data, layout)``
    is made when the JSON is written. plotly's own ``add_trace`` and ``update_layout`` re-walk
    the whole figure at every call (~0.1 s for a layout update), which made up most of the
    dashboard's time at city scale; one constructor call costs a few milliseconds."""

    def __init__(self, data: Any = None, layout: dict[str, Any] | None = None) -> None:
        if data is None:
            self.data: list[Any] = []
        elif isinstance(data, (list, tuple)):
            self.data = list(data)
        else:
            self.data = [data]
        self.layout: dict[str, Any] = {}
        if layout:
            self.update_layout(layout)

    def add_trace(self, trace: Any) -> Fig:
        self.data.append(trace)
        return self

    def update_layout(self, layout: dict[str, Any] | None = None, **kwargs: Any) -> Fig:
        _merge(self.layout, {**(layout or {}), **kwargs})
        return self

    def figure(self) -> go.Figure:
        return go.Figure(data=self.data, layout=self.layout)

    def to_dict(self) -> dict[str, Any]:
        """The figure as ``go.Figure.to_dict`` gives it (numpy arrays as plotly.js typed arrays:
        base64 ``bdata``), without building the figure object (the traces were validated when
        they were made; ``figure()`` validates the layout too, for tests)."""
        from _plotly_utils.utils import convert_to_base64

        data = [_trace_dict(t) for t in self.data]
        out = {"data": data, "layout": copy.deepcopy(self.layout)}
        convert_to_base64(out)
        return out

    def to_json(self) -> str:
        """The figure's JSON as ``go.Figure.to_json`` writes it."""
        from plotly.io.json import to_json_plotly

        return to_json_plotly(self.to_dict())


def text_array(values: Any, width: int | None = None) -> np.ndarray:
    """Texts (or rows of ``width`` texts) for a trace's ``text``/``customdata`` as a numpy
    array, which plotly writes as the same (nested) list: plotly checks and deep-copies a list
    element by element (50,000 hotspots, 20,000 parcels). A str array when every cell is a str,
    else an object array (None/NaN still written as null)."""
    rows = list(values)
    if not rows:
        return np.empty((0, width) if width else 0, dtype=object)
    if all(isinstance(c, str) for r in rows for c in (r if width else (r,))):
        arr = np.array(rows, dtype=str)
    else:
        arr = np.empty((len(rows), width) if width else len(rows), dtype=object)
        arr[:] = [tuple(r) for r in rows] if width else rows
    return arr.reshape(-1, width) if width else arr


def script_json(text: str) -> str:
    """Make JSON text safe to sit inside a <script> element (still valid JSON)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# A small explicit template (the look of "plotly_white"): resolving the named template costs
# ~0.1 s per figure, which adds up over a few hundred figures.
_AXIS = {"gridcolor": "#e6ebe6", "linecolor": "#c8d1c9", "zerolinecolor": "#c8d1c9",
         "ticks": "", "automargin": True, "title": {"standoff": 10}}
TEMPLATE: dict[str, Any] = {"layout": {
    "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "xaxis": _AXIS, "yaxis": _AXIS,
    "colorway": ["#2e7d32", "#b08d1a", "#1f6fb2", "#c2570c", "#6a51a3", "#00838f",
                 "#8d6e63", "#d81b60", "#52606d", "#7cb342"],
    "hovermode": "closest",
}}


def base_layout(height: int, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": TEMPLATE,
        "height": height,
        "margin": {"l": 10, "r": 30, "t": 30, "b": 40},
        "font": {"family": FONT_STACK, "size": 13, "color": "#1f2933"},
        "hoverlabel": {"font": {"family": FONT_STACK}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
        "separators": ".,",
    }
    layout.update(extra)
    return layout


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
    ("zones", "碳汇发展区", "Zones"),
    ("counties", "旗县区", "Counties"),
    ("disturbances", "灾害与损失", "Disturbances"),
    ("health", "数据质量", "Data health"),
)


# --------------------------------------------------------------------------------------------
# the marts, read once


@dataclass
class Marts:
    """Every table the site reads, in memory. ``missing`` lists optional marts not (yet) built."""

    frames: dict[str, pd.DataFrame]
    missing: list[str] = field(default_factory=list)
    raw: dict[str, pd.DataFrame] = field(default_factory=dict)  # raw-layer fallbacks by family
    gate_results: list[dict[str, Any]] = field(default_factory=list)  # GX validation files
    data_docs: Path | None = None  # $SINKWATCH_HOME/gx/data_docs (copied into the site)
    home: Path | None = None
    #: What the pages derive from these tables more than once (parsed parcel geometry, ...),
    #: kept for this build only: a new ``Marts`` (the next build) starts empty.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def get(self, name: str) -> pd.DataFrame:
        return self.frames.get(name, pd.DataFrame())

    def has(self, name: str) -> bool:
        return name in self.frames

    def first(self, *names: str) -> tuple[str | None, pd.DataFrame]:
        """The first of ``names`` that exists (name, frame); (None, empty) if none does."""
        for n in names:
            if n in self.frames:
                return n, self.frames[n]
        return None, pd.DataFrame()
