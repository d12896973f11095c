"""Zone parcels: one page per zone with its parcel map and its parcel register (and CSV).

A group of its own (not the zones group): the zone pages follow the accounts
(``fct_annual_sink``, which changes every night), the parcel pages only the parcels. At city
scale a zone has up to 20,000 parcels, and their map, table and CSV were most of the zones
group's time.
"""

from __future__ import annotations

from typing import Any

from dashboards import geo
from dashboards.core import (
    Col,
    Marts,
    Page,
    Section,
    Table,
    county_names,
    isnull,
    land,
    num_or_none,
)
from dashboards.figures import Fig, Figure
from dashboards.pages.common import counties_geo, generic_table, parcel_geometry
from dashboards.pages.zones import parcels_slug, zone_names, zone_rows, zone_slug

#: The inputs this page reads (see dashboards.pages.zones.READS).
READS = ("dim_zones", "dim_counties", "dim_parcels", "raw:parcels", "fct_carbon_stock")


def parcels_table(marts: Marts, zone_id: str) -> Table:
    """The zone's parcels: dim_parcels if present, else fct_carbon_stock's latest inventory."""
    cols_common = [Col("parcel_id", "地块编号", "Parcel"),
                   Col("land_zh", "类型", "Type", "bi", key_en="land_en"),
                   Col("area_mu", "面积（亩）", "Area (mu)", "num", 1)]
    key = f"parcels_{zone_id}"
    title_zh, title_en = "发展区内地块", "Parcels in the zone"
    dp = marts.get("dim_parcels")
    if not dp.empty and "zone_id" in dp.columns:
        df = dp[dp["zone_id"] == zone_id].drop(columns=["geometry_wkt"], errors="ignore")
        return generic_table(key, title_zh, title_en, "dim_parcels", df)
    cs = marts.get("fct_carbon_stock")
    if cs.empty:
        return Table(key, title_zh, title_en, ["dim_parcels"], cols_common, [],
                     unavailable=["dim_parcels"])
    df = cs[cs["zone_id"] == zone_id]
    df = df.sort_values("inventory_year").groupby("parcel_id").tail(1).sort_values("parcel_id")
    recs = []
    for r in df.to_dict("records"):
        lzh, len_, _ = land(r.get("land_class"))
        recs.append({
            "parcel_id": r["parcel_id"], "land_zh": lzh, "land_en": len_,
            "area_mu": num_or_none(r.get("area_mu")),
            "year": None if isnull(r.get("inventory_year")) else int(r["inventory_year"]),
            "co2e": num_or_none(r.get("co2e_t")),
            "density": num_or_none(r.get("carbon_density_t_c_per_ha")),
            "method": None if isnull(r.get("method")) else str(r["method"]),
        })
    return Table(
        key, title_zh + "（最新清查年份碳储量）", title_en + " (carbon stock, latest inventory)",
        ["fct_carbon_stock"],
        cols_common + [Col("year", "清查年份", "Inventory year", "int"),
                       Col("co2e", "碳储量（t CO₂e）", "Carbon stock (t CO₂e)", "num", 0),
                       Col("density", "碳密度（t C/ha）", "Carbon density (t C/ha)", "num", 1),
                       Col("method", "方法", "Method")],
        recs, note_zh="地块维表 dim_parcels 发布后改为显示地块清单。",
        note_en="Switches to the parcel register once the dim_parcels mart is published.",
    )


def zone_locator(marts: Marts, zone_id: str, land_class: Any) -> Figure | None:
    pg = parcel_geometry(marts)
    if pg is None:
        return None
    src = pg.source
    shapes = pg.parcels_in(zone_id)
    if not shapes:
        return None
    cshapes = counties_geo()
    _, _, colour = land(land_class)
    focus = list(shapes.values())

    def build(lang: str) -> Fig:
        zh = lang == "zh"
        regions = [geo.Region(s, None, pid, "", colour=colour) for pid, s in shapes.items()]
        cz, ce = county_names(marts.get("dim_counties"))
        labels = {k: (cz if zh else ce).get(k, "") for k in cshapes}
        fig = geo.map_figure(outlines=list(cshapes.values()), regions=regions, focus=focus,
                             outline_labels=labels, height=340)
        return fig

    return Figure(f"locator-{zone_id}", "地块分布", "Parcel locations", [src], build("zh"),
                  build("en"), note_zh="灰线为旗县区界。", note_en="Grey lines: county borders.")


def parcels_page(marts: Marts, zrow: dict[str, Any]) -> Page:
    zid = str(zrow["zone_id"])
    name_zh, name_en = zone_names(zrow)
    cz, ce = county_names(marts.get("dim_counties"))
    lzh, len_, _ = land(zrow.get("land_class"))
    ccode = None if isnull(zrow.get("county_code")) else str(zrow["county_code"])
    sections = []
    loc = zone_locator(marts, zid, zrow.get("land_class"))
    if loc:
        sections.append(Section("locator", "地块分布", "Parcel map", figures=[loc]))
    sections.append(Section("parcels", "地块清单", "Parcel register",
                            tables=[parcels_table(marts, zid)]))
    return Page(
        parcels_slug(zid), "zones", f"{zid} {name_zh} · 地块", f"{zid} {name_en} · parcels",
        lead_zh=f"{lzh}碳汇发展区 · {cz.get(ccode or '', '')} · 地块分布与清单",
        lead_en=f"{len_} carbon-sink zone · {ce.get(ccode or '', '')} · parcel map and register",
        sections=sections,
        crumbs=[("index.html", "总览", "Overview"), ("zones.html", "碳汇发展区", "Zones"),
                (f"{zone_slug(zid)}.html", f"{zid} {name_zh}", f"{zid} {name_en}")],
    )


def pages(marts: Marts) -> list[Page]:
    return [parcels_page(marts, z) for z in zone_rows(marts.get("dim_zones"))]
