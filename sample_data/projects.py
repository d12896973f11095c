"""Sample carbon-offset projects (issue #15): the bureau's project reserve (项目储备) as two
uploads, **synthetic** like everything in ``sample_data``.

* ``projects_1_reserve.csv`` (English headers, parcels as a ``;``-separated list, one project a
  boundary polygon): an afforestation project for the CCER registry that contains the planted
  larch parcel of the 2022-11-05 forest fire (so that the demo's fire loss cancels buffer units),
  an afforestation project for the city's own subscription programme (LOCAL), a forest-management
  project (AR-CM-003-V01), a project that fails CCER-14-001-V01's applicability conditions
  (economic forest, no tenure certificate, started after our 2021 inventory measured its land as
  forest), a grassland project (no forestry methodology applies) and a VM0047 project for Verra.
* ``projects_2_amendment.csv`` (Chinese headers, one row per project-parcel): a later project
  that names a parcel of the CCER project: that row is quarantined (``parcel_in_two_projects``).

The parcels are taken from the landscape's forest sink projects (``sink_project_id``) and the
fire reports already written by :func:`sample_data.disturbances._write_fire_reports`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import shapely

from sample_data.geography import _write_csv
from sample_data.landscape import Landscape, Parcel

TREE_TYPES = ("conifer", "broadleaf", "mixed")
HEADER = ("project_id", "project_name", "project_type", "methodology", "scheme_code", "owner",
          "start_date", "crediting_years", "planned_area_mu", "species", "forest_use",
          "nonforest_since_year", "has_tenure_certificate", "parcel_ids", "boundary_wkt")
HEADER_ZH = ("项目编号", "项目名称", "项目类型", "方法学", "登记机构", "项目业主", "项目开始日期",
             "计入期", "设计面积(亩)", "造林树种", "林种", "无林地起始年度", "权属证明", "小班号")


def _burned_tree_parcel(land: Landscape, reports_dir: Path) -> Parcel | None:
    """The planted tree-forest parcel of the first forest fire report (None if there is none)."""
    for f in sorted(reports_dir.glob("fire_reports_*.csv")):
        with f.open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                p = land.by_id.get(r["parcel_id"])
                if (p is not None and r["vegetation_type"] == "forest"
                        and p.forest_type in TREE_TYPES and p.origin == "planted"):
                    return p
    return None


def _pick(land: Landscape, project: str | None, origin: str, n: int, taken: set[str],
          near: Parcel | None = None) -> list[Parcel]:
    """Up to ``n`` tree-forest parcels of ``origin``: those of the landscape's sink project
    first, then the nearest others (to ``near`` or to the project's first parcel)."""
    pool = [p for p in land.parcels if p.land_class == "forest" and p.forest_type in TREE_TYPES
            and p.origin == origin and p.parcel_id not in taken]
    own = [p for p in pool if project and p.sink_project_id == project]
    if not pool:  # the small sample runs out of planted tree forest
        return []
    anchor = near or (own[0] if own else pool[0])
    ax, ay = anchor.xy
    rest = sorted((p for p in pool if p not in own),
                  key=lambda p: ((p.xy[0] - ax) ** 2 + (p.xy[1] - ay) ** 2, p.parcel_id))
    chosen = ([near] if near is not None and near.parcel_id not in taken else []) + own + rest
    out: list[Parcel] = []
    for p in chosen:
        if p.parcel_id not in {q.parcel_id for q in out}:
            out.append(p)
        if len(out) == n:
            break
    taken.update(p.parcel_id for p in out)
    return out


def _pick_stratum(land: Landscape, county: str, forest_type: str, origin: str, n: int,
                  taken: set[str]) -> list[Parcel]:
    """``n`` tree-forest parcels of one county, forest type and origin (in landscape order), or
    none when the stratum has fewer (the small sample)."""
    pool = [p for p in land.parcels if p.land_class == "forest" and p.county == county
            and p.forest_type == forest_type and p.origin == origin and p.parcel_id not in taken]
    if len(pool) < n:
        return []
    taken.update(p.parcel_id for p in pool[:n])
    return pool[:n]


def _ids(parcels: list[Parcel]) -> str:
    return ";".join(p.parcel_id for p in parcels)


def _mu(parcels: list[Parcel]) -> str:
    return f"{sum(p.area_mu for p in parcels):.0f}"


def write_projects(land: Landscape, out: Path, reports_dir: Path) -> list[Path]:
    taken: set[str] = set()
    burned = _burned_tree_parcel(land, reports_dir)
    ccer = _pick(land, burned.sink_project_id if burned else "P-FOR-002", "planted", 4, taken,
                 near=burned)
    # the city's subscription programme enrols stands of a well-measured stratum (昆都仑区
    # planted conifers): a credit is what survives the methodology's uncertainty deduction, and
    # stands of a two-plot stratum lose all of it (u90 above 100 %)
    local = (_pick_stratum(land, "150202", "conifer", "planted", 3, taken)
             or _pick(land, "P-FOR-003", "planted", 3, taken))
    managed = _pick(land, "P-FOR-001", "natural", 3, taken)
    failing = _pick(land, "P-FOR-007", "planted", 2, taken)
    verra = _pick(land, "P-FOR-009", "planted", 2, taken)
    grass = [p for p in land.parcels if p.land_class == "grassland"
             and p.sink_project_id == "P-GRA-001"][:3]
    boundary = shapely.convex_hull(shapely.union_all([p.wgs for p in grass])) if grass else None
    boundary_wkt = shapely.to_wkt(boundary, rounding_precision=5) if boundary is not None else ""
    species = {id(g): g[0].dominant_species or "" for g in (ccer, local, managed, failing, verra)}
    rows = [
        ("BT-CCER-001", "石拐区华北落叶松碳汇造林项目", "afforestation", "CCER-14-001-V01", "CCER",
         "石拐区国有林场", "2019-04-10", "30", _mu(ccer), species[id(ccer)], "protection", "2009",
         "true", _ids(ccer), ""),
        ("BT-LOCAL-002", "包头市碳中和林认购项目", "afforestation", "CCER-14-001-V01", "LOCAL",
         "包头市林业和草原局", "2020-03-20", "20", _mu(local), species[id(local)], "protection",
         "2012", "true", _ids(local), ""),
        ("BT-CCER-003", "大青山天然次生林森林经营碳汇项目", "forest_management", "AR-CM-003-V01",
         "CCER", "包头市大青山国有林场", "2018-05-01", "20", _mu(managed),
         species[id(managed)], "protection", "", "true", _ids(managed), ""),
        ("BT-CCER-004", "土右旗经济林造林项目", "afforestation", "CCER-14-001-V01", "CCER",
         "某果业公司（示例）", "2023-04-01", "15", _mu(failing), species[id(failing)],
         "economic", "2022", "false", _ids(failing), ""),
        ("BT-GRA-005", "达茂旗退化草原修复碳汇项目", "grassland", "CCER-14-001-V01", "CCER",
         "达茂旗草原工作站", "2021-06-01", "20", f"{sum(p.area_mu for p in grass):.0f}", "",
         "", "", "true", "", boundary_wkt),
        ("BT-VCS-006", "包头沿黄防护林 ARR 项目", "afforestation", "VM0047", "VCS",
         "某环境咨询公司（示例）", "2020-04-15", "40", _mu(verra), species[id(verra)],
         "protection", "2008", "true", _ids(verra), ""),
    ]
    rows = [r for r in rows if r[-2] or r[-1]]  # a project needs parcels (small sample)
    free = _pick(land, "P-FOR-012", "planted", 1, taken)
    amendment = [("BT-LOCAL-007", "昆都仑区企业碳中和林（补充申报）", "造林", "CCER-14-001-V01",
                  "LOCAL", "某钢铁企业（示例）", "2021-04-01", "20", _mu(free + ccer[:1]),
                  "华北落叶松", "防护林", "2014", "是", p.parcel_id)
                 for p in (*ccer[:1], *free)]
    return [_write_csv(out / "projects_1_reserve.csv", HEADER, rows),
            _write_csv(out / "projects_2_amendment.csv", HEADER_ZH, amendment)]
