"""Row-level contract checks: every received row is either accepted (typed) or quarantined with a
reason that names the file, the row and the field. Nothing is dropped: accepted + quarantined =
received, always.

Besides the column contract (required, type, range, allowed set, duplicate key) a row is checked
against the reference data of :class:`Refs` (species code list, the parcels layer) and against
the calendar (a survey date or year in the future). A reader may flag a row itself with an
``_issue`` column (``field|code|message``), e.g. a FIRMS point outside Baotou.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sinkwatch.config import DBT_PROJECT_DIR
from sinkwatch.contracts import Column, Family

TRUE_WORDS = {"true", "t", "1", "yes", "y", "是"}
FALSE_WORDS = {"false", "f", "0", "no", "n", "否"}
SPECIES_SEED = DBT_PROJECT_DIR / "seeds" / "seed_species.csv"


class SchemaError(ValueError):
    """The file as a whole does not fit its family (e.g. a required column is missing)."""


@dataclass
class Refs:
    """Reference lists a row is checked against. ``parcel_ids`` is None when no parcels layer
    has been ingested yet (then the parcel check is skipped, not failed)."""

    species: dict[str, str] = field(default_factory=dict)  # normalised name -> code
    parcel_ids: set[str] | None = None
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    _parcel_array: object = field(default=None, repr=False, compare=False)

    def is_parcel(self, values: pd.Series) -> np.ndarray:
        """Vectorised membership in ``parcel_ids`` (Arrow's hash set, built once per Refs):
        pandas' ``isin`` on Arrow strings against a 200,000-id set loops in Python."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._parcel_array is None or len(self._parcel_array) != len(self.parcel_ids or ()):
            self._parcel_array = pa.array(sorted(self.parcel_ids or ()), type=pa.string())
        arr = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
        hit = pc.is_in(arr, value_set=self._parcel_array)
        return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)


def load_species(path: Path = SPECIES_SEED) -> dict[str, str]:
    """The species code list of the dbt seed: Latin name (the code) and Chinese name -> code."""
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["species"].strip()
            out[_species_key(code)] = code
            if row.get("name_zh"):
                out[_species_key(row["name_zh"])] = code
    return out


def _species_key(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).strip().lower())


@dataclass
class Split:
    accepted: pd.DataFrame  # typed, contract columns + _source_row
    quarantined: pd.DataFrame  # _source_row, _field, _code, _reason + the row's values as text

    @property
    def counts(self) -> tuple[int, int]:
        return len(self.accepted), len(self.quarantined)


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("string").str.strip() == "")


def _dates(text: pd.Series) -> pd.Series:
    """ISO dates fast; then 2024/7/1, 2024.07.01, 2024年7月1日, 20240701 and other spellings."""
    out = pd.to_datetime(text, errors="coerce", format="ISO8601")
    todo = out.isna() & text.notna()
    if todo.any():
        t = text[todo].str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
        t = t.str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True)
        again = pd.to_datetime(t, errors="coerce", format="ISO8601")
        still = again.isna()
        if still.any():
            again[still] = pd.to_datetime(t[still], errors="coerce", format="mixed")
        out[todo] = again
    return out


def coerce(col: Column, raw: pd.Series, dates_as_datetime: bool = False) -> pd.Series:
    """Cast a text column to the contract dtype; values that cannot be cast become NA. Dates are
    ``datetime.date`` objects, or midnight ``datetime64`` with ``dates_as_datetime`` (vectorised:
    what the row checks use on large batches)."""
    text = raw.astype("string").str.strip()
    text = text.mask(text == "")
    if col.dtype == "string":
        return text
    if col.dtype == "date" and dates_as_datetime:
        return _dates(text).dt.normalize()
    if col.dtype in ("int", "float"):
        num = pd.to_numeric(text, errors="coerce")
        if col.dtype == "int":
            whole = num.notna() & (np.floor(num) != num)
            num = num.mask(whole)
            return num.astype("Int64")
        return num.astype("Float64")
    if col.dtype == "date":
        return _dates(text).dt.date.astype("object")
    if col.dtype == "timestamp":
        return pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    if col.dtype == "bool":
        low = text.str.lower()
        out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        out[low.isin(TRUE_WORDS).fillna(False)] = True
        out[low.isin(FALSE_WORDS).fillna(False)] = False
        return out
    raise ValueError(f"unknown dtype {col.dtype} for {col.name}")


def missing_required(family: Family, columns: list[str]) -> list[str]:
    return [c.name for c in family.columns if c.required and c.name not in columns]


def check_columns(family: Family, columns: list[str], file_name: str) -> None:
    missing = missing_required(family, columns)
    if missing:
        raise SchemaError(
            f"{file_name}: required column(s) missing: {', '.join(missing)}; "
            f"found: {', '.join(c for c in columns if not c.startswith('_')) or '(none)'}"
        )


Issue = tuple[str, str, str]  # field, code, message


def split_rows(
    family: Family,
    frame: pd.DataFrame,
    file_name: str,
    refs: Refs | None = None,
    check_duplicates: bool = True,
) -> Split:
    """Check every row of ``frame`` (text values, contract column names, a ``_source_row``
    column with the 1-based row number in the file) against the family contract."""
    check_columns(family, list(frame.columns), file_name)
    refs = refs or Refs()
    unknown = [c for c in frame.columns if not c.startswith("_") and c not in family.column_names]
    issues: dict[object, list[Issue]] = {}

    flagged: set[tuple[object, str]] = set()  # (row, field) a reader already explained

    def add(mask: pd.Series, fld: str, code: str, message: Callable[[object], str]) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        for i in frame.index[mask.to_numpy()]:
            if (i, fld) not in flagged:
                issues.setdefault(i, []).append((fld, code, message(i)))

    if "_issue" in frame.columns:
        given = frame["_issue"].fillna("").astype(str)
        for i, text in given[given != ""].items():
            fld, code, msg = (text.split("|", 2) + ["", ""])[:3]
            where = f"field {fld}: " if fld else ""
            issues.setdefault(i, []).append((fld, code, f"{where}{code}: {msg}"))
            flagged.update((i, f) for f in fld.split(","))

    typed = {}
    for col in family.columns:
        if col.name not in frame.columns:
            typed[col.name] = coerce(col, pd.Series(pd.NA, index=frame.index, dtype="string"))
            continue
        raw = frame[col.name]
        val = coerce(col, raw, dates_as_datetime=True)
        blank = _blank(raw)
        shown = raw.astype("string").fillna("")
        n = col.name
        if col.required:
            add(blank, n, "required", lambda i, n=n: f"field {n}: required value is empty")
        add(
            ~blank & val.isna(),
            n,
            "unparseable",
            lambda i, n=n, s=shown, d=col.dtype: f"field {n}: cannot read '{s[i]}' as {d}",
        )
        if (col.min is not None or col.max is not None) and col.dtype in ("int", "float"):
            num = val.astype("Float64")
            if col.min is not None:
                add(
                    num < col.min,
                    n,
                    "below_minimum",
                    lambda i, n=n, s=shown, m=col.min: (
                        f"field {n}: {s[i]} is below the minimum {m}"
                    ),
                )
            if col.max is not None:
                add(
                    num > col.max,
                    n,
                    "above_maximum",
                    lambda i, n=n, s=shown, m=col.max: (
                        f"field {n}: {s[i]} is above the maximum {m}"
                    ),
                )
        if col.allowed is not None:
            allowed = set(col.allowed)
            if col.dtype in ("int", "float"):
                bad = val.notna() & ~val.astype("Float64").isin([float(a) for a in allowed])
            else:
                bad = val.notna() & ~val.isin(list(allowed))
            add(
                bad,
                n,
                "not_allowed",
                lambda i, n=n, s=shown, a=col.allowed: (
                    f"field {n}: '{s[i]}' is not one of {', '.join(map(str, a))}"
                ),
            )
        if col.past:
            if col.dtype == "date":
                future = val > pd.Timestamp(refs.today)
            else:
                future = val.astype("Float64") > refs.today.year
            add(
                future,
                n,
                "future_date",
                lambda i, n=n, s=shown, t=refs.today: (
                    f"field {n}: {s[i]} lies in the future (today: {t})"
                ),
            )
        if col.ref == "species" and refs.species:
            canon = val.map(
                lambda v: refs.species.get(_species_key(v)) if isinstance(v, str) else None
            )
            add(
                val.notna() & canon.isna(),
                n,
                "unknown_species",
                lambda i, n=n, s=shown: (
                    f"field {n}: '{s[i]}' is not in the species code list (seed_species.csv)"
                ),
            )
            # object dtype: an optional species column that is empty throughout maps to nulls
            val = canon.astype(object).where(canon.notna(), val.astype(object)).astype("string")
        if col.ref == "parcel" and refs.parcel_ids is not None:
            add(
                val.notna() & ~pd.Series(refs.is_parcel(val), index=val.index),
                n,
                "unknown_parcel",
                lambda i, n=n, s=shown: f"field {n}: '{s[i]}' is not a parcel of the parcels layer",
            )
        typed[col.name] = val

    out = pd.DataFrame(typed, index=frame.index)
    # Duplicate natural keys inside one batch: keep the first, quarantine the rest.
    ok_so_far = pd.Series(~frame.index.isin(list(issues)), index=frame.index)
    dup = out[list(family.key)].astype("string").fillna("<NA>").duplicated(keep="first") & ok_so_far
    dup &= check_duplicates
    key_text = ", ".join(family.key)
    add(
        dup,
        key_text,
        "duplicate_key",
        lambda i: f"duplicate key ({key_text}) already seen earlier in the file",
    )

    bad = pd.Series(frame.index.isin(list(issues)), index=frame.index)
    value_cols = [c for c in frame.columns if not c.startswith("_")]
    quarantined = frame.loc[bad, value_cols].astype("string")
    rows = frame.loc[bad, "_source_row"].astype("int64")
    found = [issues[i] for i in frame.index[bad.to_numpy()]]
    quarantined.insert(0, "_source_row", rows)
    quarantined.insert(
        1, "_field", [",".join(dict.fromkeys(f for f, _, _ in x if f)) for x in found]
    )
    quarantined.insert(2, "_code", [",".join(dict.fromkeys(c for _, c, _ in x)) for x in found])
    quarantined.insert(
        3,
        "_reason",
        [
            f"{file_name} row {r}: " + "; ".join(m for _, _, m in x)
            for r, x in zip(rows, found, strict=True)
        ],
    )
    accepted = out.loc[~bad].copy()
    accepted["_source_row"] = frame.loc[~bad, "_source_row"].astype("int64")
    accepted.attrs["unknown_columns"] = unknown
    return Split(
        accepted=accepted.reset_index(drop=True), quarantined=quarantined.reset_index(drop=True)
    )
