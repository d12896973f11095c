"""Plotly figures of the dashboard: ``Figure`` (one spec per language, large trace values
shared between zh and en), ``Fig`` (a figure collected without plotly's per-call validation,
serialised with numpy arrays as typed arrays), ``text_array``, the page template and
``base_layout``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif'
)


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
