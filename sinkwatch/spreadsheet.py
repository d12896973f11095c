"""Spreadsheet formula injection: text that Excel or LibreOffice would run as a formula.

Every CSV and xlsx file we write for people (dashboard downloads, reports, templates) passes its
cells through :func:`neutralise`, following OWASP's CSV-injection guidance
(https://owasp.org/www-community/attacks/CSV_Injection): a text cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so the
spreadsheet shows it as text (``'=HYPERLINK(...)`` displays as ``=HYPERLINK(...)`` and is never
evaluated). Numbers stay numbers: only ``str`` cells are touched, so a negative sink of -3.5
stays the number -3.5.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as it may be written: formula-looking text prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: Any) -> Any:
    """A copy of a pandas DataFrame with every text cell and column name neutralised."""
    from pandas.api import types

    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if not (types.is_numeric_dtype(s) or types.is_datetime64_any_dtype(s)
                or types.is_bool_dtype(s)):  # text (object, str or string dtype)
            out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [neutralise(c) for c in out.columns]
    return out
