"""Daily weather observations (family ``weather_daily``): the inputs of the fire-danger rating.

Layouts, detected from the header (never from the file name):

* ``gsod``: NOAA NCEI Global Surface Summary of the Day CSV exactly as published
  (``https://www.ncei.noaa.gov/data/global-summary-of-the-day/access/<year>/<station>.csv``;
  format: NCEI, *GSOD readme*, 10/28/2020). Columns STATION, DATE, LATITUDE, LONGITUDE,
  ELEVATION, NAME, TEMP, TEMP_ATTRIBUTES, DEWP, ..., WDSP, MXSPD, GUST, MAX, MIN, PRCP,
  PRCP_ATTRIBUTES, SNDP, FRSHTT; values quoted and space-padded. °F to °C, knots x 1.852 to
  km/h, inches x 25.4 to mm; "all 9's" (9999.9 TEMP/DEWP, 999.9 WDSP, 99.99 PRCP) is missing.
  RH from the mean temperature and mean dew point by the Magnus formula (Alduchov & Eskridge
  1996: a = 17.625, b = 243.04 °C). **GSOD has daily means, not noon values**: the mean
  temperature is below and the mean humidity above the noon values the FWI System is built on,
  so FWI from GSOD reads low (``obs_basis = daily_mean``; a CMA 14:00 row of the same station
  and day is preferred by the rating). PRCP is a GMT-day total that "may include the latter part
  of the previous day"; its attribute letter (A-I) is kept as ``precip_flag`` (I: no report,
  published as 0; H: 0 reported but precipitation seen, incomplete). DATE is ISO in the files
  (the readme says mm/dd/yyyy: both are read).
* ``cma_daily``: a Chinese-header station table in the style of the CMA daily surface data
  (中国地面气候资料日值数据集, SURF_CLI_CHN_MUL_DAY, V3.0): 区站号, 日期 or 年/月/日, 平均气温
  or 14时气温, 平均相对湿度 or 14时相对湿度, 平均风速 or 14时风速 (m/s), 20-20时降水量 (mm);
  天擎 element names (Station_Id_C, Year, Mon, Day, TEM_Avg, RHU_Avg, WIN_S_2mi_Avg,
  PRE_Time_2020) are read too. A unit in the header (``平均气温(0.1℃)``, ``降水量(0.1mm)``)
  scales the column; without one the values are taken in ℃, %, m/s and mm, and a temperature
  column of whole numbers beyond ±60 is refused as unlabelled 0.1 ℃ data. Special values of the
  dataset documentation (data-description of SURF_CLI_CHN_MUL_DAY_V3.0, status S: from
  secondary copies): 32766 missing (32744 too); precipitation 32700 trace (0 mm, flag
  ``trace``), 32XXX fog/dew/frost only, 31XXX rain and snow total, 30XXX snow, with XXX in
  0.1 mm. The 20-20 h total runs to 20:00 Beijing time, 8 hours after the FWI's noon.
* ``table``: any other header, read through the contract's column names and aliases
  (``sinkwatch.contracts.ALIASES``), values in the contract's units.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion import headers
from ingestion.tabular import (
    EmptyFile,
    UnknownLayout,
    excel_sheets,
    read_delimited,
    sheet_frame,
)
from sinkwatch.contracts import FAMILIES

FAMILY = FAMILIES["weather_daily"]
MAGNUS_A, MAGNUS_B = 17.625, 243.04
KNOT_KMH, INCH_MM = 1.852, 25.4

GSOD_REQUIRED = {"station", "date", "temp", "dewp", "wdsp", "prcp"}
CMA_MISSING = {32766.0, 32744.0}
#: CMA element -> (contract column, kind, basis); kind says how to convert, basis what it is.
CMA_COLUMNS: dict[str, tuple[str, str, str | None]] = {}
for _names, _col, _kind, _basis in (
    (("区站号", "站号", "台站号", "station_id_c", "station_id_d"), "station_id", "id", None),
    (("日期", "年月日", "观测日期"), "obs_date", "date", None),
    (("年", "year"), "_year", "int", None),
    (("月", "mon", "month"), "_month", "int", None),
    (("日", "day"), "_day", "int", None),
    (("站名", "台站名称", "station_name"), "station_name", "text", None),
    (("纬度", "lat"), "lat", "degmin", None),
    (("经度", "lon"), "lon", "degmin", None),
    (("海拔高度", "观测场拔海高度", "测站高度", "alti"), "elevation_m", "elev", None),
    (("14时气温", "14时温度", "tem_14"), "temp_c", "temp", "14h"),
    (("平均气温", "日平均气温", "tem_avg"), "temp_c", "temp", "daily_mean"),
    (("14时相对湿度", "rhu_14"), "rh_pct", "rh", "14h"),
    (("平均相对湿度", "相对湿度", "日平均相对湿度", "rhu_avg"), "rh_pct", "rh", "daily_mean"),
    (("14时风速", "14时2分钟平均风速", "win_s_2mi_14"), "wind_kmh", "wind", "14h"),
    (("平均风速", "日平均风速", "2分钟平均风速", "win_s_2mi_avg"), "wind_kmh", "wind",
     "daily_mean"),
    (("20-20时降水量", "20-20时累计降水量", "日降水量", "降水量", "pre_time_2020"), "precip_mm",
     "precip", None),
    (("08-08时降水量", "8-8时降水量", "pre_time_0808"), "precip_mm", "precip", None),
):
    for _n in _names:
        CMA_COLUMNS[headers.norm(_n)] = (_col, _kind, _basis)
CMA_MARKERS = {headers.norm(n) for n in ("区站号", "站号", "台站号", "Station_Id_C",
                                         "Station_Id_d")}


def _num(text: pd.Series) -> pd.Series:
    num = pd.to_numeric(text.astype("string").str.strip(), errors="coerce")
    return num.astype("Float64").astype("float64")


def _fmt(values: pd.Series, digits: int) -> pd.Series:
    """Numbers back to text for the row validator (NaN -> empty)."""
    return values.round(digits).map(lambda v: "" if pd.isna(v) else repr(float(v))).astype(
        "string")


def rh_from_dewpoint(temp_c: pd.Series, dewp_c: pd.Series) -> pd.Series:
    """Relative humidity (%) from temperature and dew point (Magnus; at most 100)."""
    es = np.exp(MAGNUS_A * temp_c / (MAGNUS_B + temp_c))
    e = np.exp(MAGNUS_A * dewp_c / (MAGNUS_B + dewp_c))
    return (100.0 * e / es).clip(upper=100.0)


def gsod_station_id(station: str) -> str:
    """``53446099999`` (USAF 534460, WBAN 99999) -> ``53446``; other ids unchanged."""
    s = str(station).strip()
    if len(s) == 11 and s.isdigit() and s.endswith("099999"):
        return s[:5]
    return s


def _iso_date(text: pd.Series) -> pd.Series:
    """ISO as is; mm/dd/yyyy (the readme's spelling) to ISO."""
    t = text.astype("string").str.strip()
    us = t.str.match(r"^\d{1,2}/\d{1,2}/\d{4}$").fillna(False)
    if us.any():
        parsed = pd.to_datetime(t[us], format="%m/%d/%Y", errors="coerce")
        t[us] = parsed.dt.strftime("%Y-%m-%d").fillna(t[us])
    return t


def read_gsod(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    cols = {c.lower(): c for c in frame.columns if not c.startswith("_")}

    def col(name: str) -> pd.Series:
        return frame[cols[name]].astype("string").str.strip() if name in cols else \
            pd.Series("", index=frame.index, dtype="string")

    def measured(name: str, missing: float) -> pd.Series:
        v = _num(col(name))
        return v.mask(v >= missing)

    temp = (measured("temp", 9999.9) - 32.0) * 5.0 / 9.0
    dewp = (measured("dewp", 9999.9) - 32.0) * 5.0 / 9.0
    rh = rh_from_dewpoint(temp, dewp)
    out = pd.DataFrame(index=frame.index)
    out["_source_row"] = frame["_source_row"]
    out["station_id"] = col("station").map(gsod_station_id).astype("string")
    out["obs_date"] = _iso_date(col("date"))
    out["station_name"] = col("name")
    out["lat"] = col("latitude")
    out["lon"] = col("longitude")
    out["elevation_m"] = col("elevation")
    out["temp_c"] = _fmt(temp, 2)
    out["rh_pct"] = _fmt(rh, 1)
    out["wind_kmh"] = _fmt(measured("wdsp", 999.9) * KNOT_KMH, 2)
    out["precip_mm"] = _fmt(measured("prcp", 99.99) * INCH_MM, 2)
    out["obs_basis"] = "daily_mean"
    out["precip_flag"] = col("prcp_attributes")
    out["source"] = "gsod"
    if "_issue" in frame.columns:
        out["_issue"] = frame["_issue"]
    notes = ["GSOD: daily means (TEMP, DEWP, WDSP), not noon values; RH from TEMP and DEWP "
             "(Magnus); °F, knots and inches converted"]
    return out, notes


def _unit_scale(header: str) -> float | None:
    """0.1 for a header unit like (0.1℃) / (0.1mm) / (0.1m/s), 1 for a plain unit, None when
    the header has no unit."""
    m = re.search(r"[(（\[]\s*([^)）\]]*)\s*[)）\]]", header)
    if not m:
        return None
    unit = m.group(1).replace(" ", "")
    return 0.1 if unit.startswith("0.1") else 1.0


def _strip_unit(header: str) -> str:
    return headers.norm(re.sub(r"\s*[(（\[][^)）\]]*[)）\]]\s*$", "", str(header)))


def _degmin(values: pd.Series) -> pd.Series:
    """CMA 度分 (4040 = 40°40') to decimal degrees; decimal degrees unchanged."""
    whole = values.notna() & (values == np.floor(values)) & (values.abs() > 180)
    deg = np.floor(values / 100.0)
    return values.where(~whole, deg + (values - deg * 100.0) / 60.0)


def _cma_precip(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts (mm, in the column's unit already scaled) and flags from the special codes;
    ``values`` are the file's numbers before scaling (codes live in that domain)."""
    flag = pd.Series("", index=values.index, dtype="string")
    amount = values.astype(float).copy()
    codes = values.notna() & (values >= 30000) & (values == np.floor(values))
    trace = codes & (values == 32700)
    for lo, name in ((32000, "fog_dew_frost"), (31000, "rain_and_snow"), (30000, "snow")):
        hit = codes & ~trace & (values >= lo) & (values < lo + 1000) & ~values.isin(CMA_MISSING)
        amount[hit] = (values[hit] - lo) * 0.1
        flag[hit] = name
    amount[trace] = 0.0
    flag[trace] = "trace"
    return amount, flag


def read_cma(frame: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    mapped: dict[str, tuple[str, str, str | None, float | None]] = {}
    unknown = []
    for h in frame.columns:
        if h.startswith("_"):
            continue
        hit = CMA_COLUMNS.get(_strip_unit(h))
        if hit is None:
            unknown.append(h)
            continue
        col, kind, basis = hit
        prev = mapped.get(col)
        if prev is not None and (prev[2] == "14h" or basis != "14h"):
            unknown.append(h)  # a 14:00 value wins over a daily mean; else first one wins
            continue
        if prev is not None:
            unknown.append(prev[0])
        mapped[col] = (h, kind, basis, _unit_scale(h))
    notes: list[str] = []
    out = pd.DataFrame(index=frame.index)
    out["_source_row"] = frame["_source_row"]
    issues = frame["_issue"] if "_issue" in frame.columns else \
        pd.Series("", index=frame.index, dtype="string")
    for col, (h, kind, _basis, scale) in mapped.items():
        text = frame[h].astype("string").str.strip()
        if kind in ("id", "text", "date", "int"):
            out[col] = text
            continue
        raw = _num(text)
        raw = raw.mask(raw.isin(CMA_MISSING))
        if kind == "precip":
            amount, flag = _cma_precip(raw)
            coded = flag != ""
            factor = scale if scale is not None else 1.0
            amount = amount.where(coded, raw * factor)
            out[col] = _fmt(amount, 2)
            out["precip_flag"] = flag
            continue
        if kind == "temp" and scale is None:
            whole = raw.dropna()
            if len(whole) and (whole == np.floor(whole)).all() and whole.abs().max() > 60:
                raise UnknownLayout(
                    f"{name}: column {h!r} holds whole numbers up to {whole.abs().max():g}: "
                    "0.1 ℃ units without a unit in the header; label it e.g. 平均气温(0.1℃)")
        factor = scale if scale is not None else 1.0
        value = raw * factor
        if kind == "wind":
            value = value * 3.6
        elif kind == "degmin":
            value = _degmin(raw)
        elif kind == "elev":
            value = raw.where(raw < 100000, raw - 100000) * (scale or 1.0)
        out[col] = _fmt(value, 4 if kind == "degmin" else 2)
    if "obs_date" not in out.columns and {"_year", "_month", "_day"} <= set(out.columns):
        y, m, d = (_num(out[c]) for c in ("_year", "_month", "_day"))
        ok = y.notna() & m.notna() & d.notna()
        out["obs_date"] = pd.Series("", index=frame.index, dtype="string")
        out.loc[ok, "obs_date"] = [f"{int(a):04d}-{int(b):02d}-{int(c):02d}"
                                   for a, b, c in zip(y[ok], m[ok], d[ok], strict=True)]
    out = out.drop(columns=[c for c in ("_year", "_month", "_day") if c in out.columns])
    if "obs_date" in out.columns:
        digits = out["obs_date"].str.fullmatch(r"\d{8}").fillna(False)
        out.loc[digits, "obs_date"] = (out.loc[digits, "obs_date"].str.slice(0, 4) + "-"
                                       + out.loc[digits, "obs_date"].str.slice(4, 6) + "-"
                                       + out.loc[digits, "obs_date"].str.slice(6, 8))
    bases = {mapped[c][2] for c in ("temp_c", "rh_pct", "wind_kmh") if c in mapped}
    bases.discard(None)
    out["obs_basis"] = bases.pop() if len(bases) == 1 else ("mixed" if bases else "daily_mean")
    out["source"] = "cma_daily"
    if issues.astype("string").fillna("").ne("").any():
        out["_issue"] = issues
    out.attrs["unknown"] = unknown
    units = [f"{h} x{s:g}" for _c, (h, _k, _b, s) in mapped.items() if s not in (None, 1.0)]
    notes.append("CMA daily table: wind m/s x 3.6" + (f"; scaled {', '.join(units)}"
                                                       if units else ""))
    return out, notes


def layout(columns: list[str]) -> str:
    low = {str(c).strip().lower() for c in columns if not str(c).startswith("_")}
    if GSOD_REQUIRED <= low:
        return "gsod"
    if {_strip_unit(c) for c in columns} & CMA_MARKERS:
        return "cma_daily"
    return "table"


def _read_workbook(path: Path) -> pd.DataFrame:
    """The weather sheet of a workbook: the one named after the family, else the first sheet
    with data (a read-me sheet before it is skipped); header in its first non-empty row."""
    sheets = [s for s in excel_sheets(path) if any(any(c for c in r) for r in s.rows)]
    if not sheets:
        raise EmptyFile(f"{path.name}: every sheet is empty")
    named = [s for s in sheets if s.title.strip().lower() == FAMILY.name]
    with_data = [s for s in sheets if sum(1 for r in s.rows if any(r)) > 1]
    sheet = (named or with_data or sheets)[0]
    header = next(i for i, r in enumerate(sheet.rows) if any(r))
    return sheet_frame(sheet, header, 1, path.name)


def read(path: Path) -> tuple[pd.DataFrame, str, list[str], list[str]]:
    """The file as text values under the contract's names: (frame, format, notes, ignored
    headers)."""
    suffix = path.suffix.lower()
    frame = _read_workbook(path) if suffix in (".xlsx", ".xlsm") else read_delimited(path)
    kind = layout(list(frame.columns))
    if kind == "gsod":
        out, notes = read_gsod(frame)
        return out, "gsod_csv", notes, []
    if kind == "cma_daily":
        out, notes = read_cma(frame, path.name)
        return out, "cma_daily", notes, out.attrs.get("unknown", [])
    out, unknown, notes = headers.apply(FAMILY, frame)
    if not [c for c in out.columns if not c.startswith("_")]:
        raise UnknownLayout(
            f"{path.name}: neither a GSOD CSV, a CMA daily table nor the weather_daily "
            f"template (found: {', '.join(map(str, frame.columns[1:]))})")
    out["source"] = "table"
    return out, "table", notes, unknown

