"""Row-level contract checks: every received row is either accepted (typed) or quarantined with a
reason that names the file, the row and the field. Nothing is dropped: accepted + quarantined =
received, always.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.contracts import Column, Family

TRUE_WORDS = {"true", "t", "1", "yes", "y", "是"}
FALSE_WORDS = {"false", "f", "0", "no", "n", "否"}


class SchemaError(ValueError):
    """The file as a whole does not fit its family (e.g. a required column is missing)."""


@dataclass
class Split:
    accepted: pd.DataFrame  # typed, contract columns + lineage
    quarantined: pd.DataFrame  # original values as text + _source_row + _reason

    @property
    def counts(self) -> tuple[int, int]:
        return len(self.accepted), len(self.quarantined)


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("string").str.strip() == "")


def coerce(col: Column, raw: pd.Series) -> pd.Series:
    """Cast a text column to the contract dtype; values that cannot be cast become NA."""
    text = raw.astype("string").str.strip()
    text = text.mask(text == "")
    if col.dtype == "string":
        return text
    if col.dtype in ("int", "float"):
        num = pd.to_numeric(text, errors="coerce")
        if col.dtype == "int":
            whole = num.notna() & (np.floor(num) != num)
            num = num.mask(whole)
            return num.astype("Int64")
        return num.astype("Float64")
    if col.dtype == "date":
        return pd.to_datetime(text, errors="coerce", format="mixed").dt.date.astype("object")
    if col.dtype == "timestamp":
        return pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    if col.dtype == "bool":
        low = text.str.lower()
        out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
        out[low.isin(TRUE_WORDS).fillna(False)] = True
        out[low.isin(FALSE_WORDS).fillna(False)] = False
        return out
    raise ValueError(f"unknown dtype {col.dtype} for {col.name}")


def _fmt(v: object) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def split_rows(family: Family, frame: pd.DataFrame, file_name: str) -> Split:
    """Check every row of ``frame`` (text values, contract column names, a ``_source_row``
    column with the 1-based line number in the file) against the family contract."""
    missing = [c.name for c in family.columns if c.required and c.name not in frame.columns]
    if missing:
        raise SchemaError(
            f"{file_name}: required column(s) missing: {', '.join(missing)}; "
            f"found: {', '.join(c for c in frame.columns if not c.startswith('_'))}"
        )
    unknown = [c for c in frame.columns if not c.startswith("_") and c not in family.column_names]
    reasons = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)

    def add(mask: pd.Series, text: pd.Series | str) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        msgs = text if isinstance(text, pd.Series) else pd.Series(text, index=frame.index)
        for i in frame.index[mask]:
            reasons[i].append(msgs[i])

    typed = {}
    for col in family.columns:
        if col.name not in frame.columns:
            typed[col.name] = coerce(col, pd.Series(pd.NA, index=frame.index, dtype="string"))
            continue
        raw = frame[col.name]
        val = coerce(col, raw)
        typed[col.name] = val
        blank = _blank(raw)
        shown = raw.astype("string").fillna("")
        if col.required:
            add(blank, f"field {col.name}: required value is empty")
        add(~blank & val.isna(), "field " + col.name + ": cannot read '" + shown + f"' as {col.dtype}")
        if col.min is not None or col.max is not None:
            num = pd.to_numeric(val, errors="coerce") if col.dtype != "date" else None
            if num is not None:
                if col.min is not None:
                    add(num < col.min, "field " + col.name + ": " + shown + f" is below the minimum {col.min}")
                if col.max is not None:
                    add(num > col.max, "field " + col.name + ": " + shown + f" is above the maximum {col.max}")
        if col.allowed is not None:
            allowed = set(col.allowed)
            if col.dtype in ("int", "float"):
                bad = val.notna() & ~val.astype("Float64").isin([float(a) for a in allowed])
            else:
                bad = val.notna() & ~val.isin(list(allowed))
            add(bad, "field " + col.name + ": '" + shown + "' is not one of " + ", ".join(map(str, col.allowed)))

    out = pd.DataFrame(typed, index=frame.index)
    # Duplicate natural keys inside one file: keep the first, quarantine the rest.
    ok_so_far = reasons.map(len) == 0
    dup = out[list(family.key)].astype("string").fillna("<NA>").duplicated(keep="first") & ok_so_far
    add(dup, "duplicate key (" + ", ".join(family.key) + ") already seen earlier in the file")

    bad = reasons.map(len) > 0
    quarantined = frame.loc[bad, [c for c in frame.columns if c != "_source_row"]].astype("string")
    quarantined.insert(0, "_source_row", frame.loc[bad, "_source_row"].astype("int64"))
    quarantined.insert(
        1,
        "_reason",
        [f"{file_name} row {r}: " + "; ".join(m) for r, m in
         zip(frame.loc[bad, "_source_row"], reasons[bad], strict=True)],
    )
    accepted = out.loc[~bad].copy()
    accepted["_source_row"] = frame.loc[~bad, "_source_row"].astype("int64")
    accepted.attrs["unknown_columns"] = unknown
    return Split(accepted=accepted.reset_index(drop=True), quarantined=quarantined.reset_index(drop=True))
