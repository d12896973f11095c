"""Map a file's own header names (Chinese or English, any case, with or without a unit) onto the
contract columns, and convert units to the contract's unit.

``胸径(英寸)`` → ``dbh_cm`` × 2.54, ``Height (ft)`` → ``height_m`` × 0.3048, ``面积(公顷)`` →
``area_mu`` × 15, ``PARCEL_ID`` → ``parcel_id``; a DBF name cut to 10 characters
(``COUNTY_COD``) matches the one contract column it is the start of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from sinkwatch.contracts import ALIASES, VALUE_ALIASES, Family

#: unit spellings -> (dimension, factor to the dimension's base unit: m, m2, m3, g, percent, deg, K)
UNITS: dict[str, tuple[str, float]] = {}
for _names, _dim, _factor in (
    (("m", "米", "metre", "meter", "meters"), "length", 1.0),
    (("cm", "厘米", "公分"), "length", 0.01),
    (("mm", "毫米"), "length", 0.001),
    (("in", "inch", "inches", "英寸", '"'), "length", 0.0254),
    (("ft", "feet", "foot", "英尺", "'"), "length", 0.3048),
    (("km", "公里", "千米"), "length", 1000.0),
    (("m2", "m²", "㎡", "sqm", "平方米", "sq_m"), "area", 1.0),
    (("ha", "hectare", "hectares", "公顷"), "area", 10_000.0),
    (("mu", "亩"), "area", 10_000 / 15),
    (("km2", "km²", "平方公里", "平方千米"), "area", 1_000_000.0),
    (("m3", "m³", "立方米", "方"), "volume", 1.0),
    (("dm3", "dm³", "立方分米"), "volume", 0.001),
    (("g", "克"), "mass", 1.0),
    (("kg", "千克", "公斤"), "mass", 1000.0),
    (("pct", "percent", "%", "百分比"), "percent", 1.0),
    (("deg", "度", "°"), "angle", 1.0),
    (("k", "kelvin"), "temperature", 1.0),
    (("mw", "兆瓦"), "power", 1.0),
):
    for _n in _names:
        UNITS[_n] = (_dim, _factor)

_BRACKETS = re.compile(r"^(?P<name>.*?)\s*[(\[（【]\s*(?P<unit>[^)\]）】]*)\s*[)\]）】]\s*$")


def norm(name: object) -> str:
    """Lower case, no surrounding or inner spaces, full-width brackets made half-width."""
    text = str(name).strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Mapping:
    source: str  # the file's header
    column: str  # the contract column
    factor: float = 1.0  # multiply numeric values by this
    unit: str | None = None  # unit as written in the file, when it differs from the contract


def _split_unit(name: str) -> tuple[str, str | None]:
    m = _BRACKETS.match(name)
    if m and m.group("unit"):
        return m.group("name"), m.group("unit")
    for u in sorted(UNITS, key=len, reverse=True):
        if u.isascii() and u.replace("²", "").isalnum() and name.endswith("_" + u):
            return name[: -len(u) - 1], u
    return name, None


def _names_for(family: Family) -> dict[str, str]:
    """Every accepted spelling (normalised) -> contract column."""
    names: dict[str, str] = {}
    for col in family.columns:
        names[norm(col.name)] = col.name
    for col, aliases in ALIASES.get(family.name, {}).items():
        for a in aliases:
            names.setdefault(norm(a), col)
    return names


def _unit_factor(file_unit: str, contract_unit: str | None) -> float | None:
    fu, cu = UNITS.get(norm(file_unit)), UNITS.get(norm(contract_unit or ""))
    if fu is None or cu is None or fu[0] != cu[0]:
        return None
    return fu[1] / cu[1]


def resolve(family: Family, headers: list[str]) -> tuple[list[Mapping], list[str]]:
    """Mappings for the headers that name a contract column, and the headers that do not."""
    names = _names_for(family)
    mappings: list[Mapping] = []
    unknown: list[str] = []
    taken: set[str] = set()
    for h in headers:
        if str(h).startswith("_"):
            continue
        n = norm(h)
        col = names.get(n)
        factor, unit = 1.0, None
        if col is None:
            base, file_unit = _split_unit(n)
            col = names.get(base)
            if col is not None and file_unit is not None:
                contract_unit = family.column(col).unit
                f = _unit_factor(file_unit, contract_unit)
                if f is None and norm(file_unit) != norm(contract_unit or ""):
                    if contract_unit is not None or norm(file_unit) in UNITS:
                        unknown.append(h)
                        continue
                factor = f if f is not None else 1.0
                unit = file_unit if factor != 1.0 else None
        if col is None and len(n) == 10:  # a DBF field name cut to 10 characters
            hits = [c for c in family.column_names if c.startswith(n)]
            col = hits[0] if len(hits) == 1 else None
        if col is None or col in taken:
            unknown.append(h)
            continue
        taken.add(col)
        mappings.append(Mapping(source=h, column=col, factor=factor, unit=unit))
    return mappings, unknown


def header_score(family: Family, values: list[object]) -> float:
    """Share of the non-empty cells of a row that read as headers of ``family``."""
    cells = [v for v in values if v is not None and str(v).strip() != ""]
    if not cells:
        return 0.0
    mapped, _ = resolve(family, [str(v) for v in cells])
    return len(mapped) / len(cells)


def _scale(text: pd.Series, factor: float) -> pd.Series:
    num = pd.to_numeric(text, errors="coerce")
    scaled = (num * factor).round(6).map(lambda v: "" if pd.isna(v) else repr(float(v)))
    # a value that is not a number stays as written, so the validator can name it
    return scaled.where(num.notna(), text)


def apply(family: Family, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Rename to contract columns, convert units, map Chinese coded values.

    Returns the frame (text values, contract names, ``_``-prefixed lineage kept), the
    headers that were ignored, and notes on the conversions applied (for the manifest)."""
    mappings, unknown = resolve(family, list(frame.columns))
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        if str(c).startswith("_"):
            out[c] = frame[c]
    notes = []
    for m in mappings:
        values = frame[m.source].astype("string").str.strip().fillna("")
        if m.factor != 1.0:
            values = _scale(values, m.factor)
            notes.append(f"{m.source} -> {m.column} (x{m.factor:g})")
        aliases = VALUE_ALIASES.get(m.column)
        if aliases:
            values = values.replace(aliases)
        out[m.column] = values
    return out, unknown, notes
