"""Upload templates for the survey families: ``ingestion/templates/<family>.xlsx``.

Each workbook has a data sheet (``数据 data``) with two header rows, Chinese on top and the
contract name below (the readers skip both), and a sheet ``说明 fields`` that explains every
field: Chinese and English name, type, unit, required, allowed range or values.

``python -m ingestion.templates`` rewrites them from the contracts; the files are generated, never
edited by hand.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ingestion.readers import TEMPLATE_SHEET
from sinkwatch.contracts import ALIASES, FAMILIES, VALUE_ALIASES, Column
from sinkwatch.spreadsheet import neutralise

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
SURVEY_FAMILIES = (
    "forest_plots",
    "grassland_quadrats",
    "wetland_surveys",
    "demo_forests",
    "fire_reports",
    "pest_reports",
)
UNIT_ZH = {
    "m": "米",
    "cm": "厘米",
    "m2": "平方米",
    "m3": "立方米",
    "mu": "亩",
    "ha": "公顷",
    "g": "克",
    "deg": "度",
    "percent": "%",
}
FIELD_SHEET = "说明 fields"


def _uploaded(fam):
    """The columns a user fills in (computed ones are added by ingestion)."""
    return [c for c in fam.columns if not c.computed]


def chinese_header(family: str, col: Column) -> str:
    zh = ALIASES.get(family, {}).get(col.name, (col.name,))[0]
    return f"{zh}({col.unit})" if col.unit and col.unit not in ("deg",) else zh


def _allowed(col: Column) -> str:
    if col.allowed is not None:
        zh = {v: k for k, v in VALUE_ALIASES.get(col.name, {}).items()}
        return ", ".join(f"{a} ({zh[a]})" if a in zh else str(a) for a in col.allowed)
    parts = []
    if col.min is not None:
        parts.append(f">= {col.min:g}")
    if col.max is not None:
        parts.append(f"<= {col.max:g}")
    if col.past:
        parts.append("not in the future 不得晚于今天")
    if col.ref == "species":
        parts.append("species code list (Latin or Chinese name) 树种代码表")
    if col.ref == "parcel":
        parts.append("must exist in the parcels layer 须为已入库小班")
    return "; ".join(parts)


def _cells(values) -> list:
    """A row as written: text that a spreadsheet would run as a formula is neutralised."""
    return [neutralise(v) for v in values]


def write_template(family: str, dest_dir: Path = TEMPLATE_DIR) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    fam = FAMILIES[family]
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    ws.append(_cells(chinese_header(family, c) for c in _uploaded(fam)))
    ws.append(_cells(c.name for c in _uploaded(fam)))
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")
    for row in ws.iter_rows(min_row=1, max_row=2):
        for cell in row:
            cell.font, cell.fill = bold, grey
    for i, c in enumerate(_uploaded(fam), start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(
            12, len(c.name) + 4
        )
    ws.freeze_panes = "A3"
    info = wb.create_sheet(FIELD_SHEET)
    info.append(
        _cells([
            "中文表头 Chinese header",
            "英文表头 English header",
            "类型 type",
            "单位 unit",
            "必填 required",
            "取值 allowed values / range",
            "说明 description",
            "其他可识别表头 other accepted headers",
        ])
    )
    for cell in info[1]:
        cell.font = bold
    for c in _uploaded(fam):
        others = ALIASES.get(family, {}).get(c.name, ())[1:]
        info.append(
            _cells([
                chinese_header(family, c),
                c.name,
                c.dtype,
                f"{c.unit} ({UNIT_ZH.get(c.unit, c.unit)})" if c.unit else "",
                "是 yes" if c.required else "否 no",
                _allowed(c),
                c.description,
                ", ".join(others),
            ])
        )
    info.append([])
    info.append(
        _cells([
            "单位换算 units: a header may name another unit, e.g. 胸径(英寸) / dbh_in, "
            "树高(英尺) / height_ft, 面积(公顷) / area_ha, 面积(平方米); values are converted "
            "to the unit above."
        ])
    )
    info.append(
        _cells([
            f"{fam.description}. Natural key: {', '.join(fam.key)}. Fill the sheet "
            f"'{TEMPLATE_SHEET}' from row 3; keep both header rows."
        ])
    )
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{family}.xlsx"
    wb.save(dest)
    return dest


def write_all(dest_dir: Path = TEMPLATE_DIR) -> list[Path]:
    return [write_template(f, dest_dir) for f in SURVEY_FAMILIES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=TEMPLATE_DIR)
    args = parser.parse_args(argv)
    for p in write_all(args.out):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
