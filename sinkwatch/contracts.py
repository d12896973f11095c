"""Column contracts of the upload families: declared once, used by readers, the row validator,
the Great Expectations raw suites, the sample-data generator and the dbt sources.

Each family lists the columns of its *raw layer* table (after a reader has mapped the file's own
header names onto these names). Units are in the column names. A reader may add the lineage
columns (``_source_file``, ``_source_sha256``, ``_source_row``, ``_ingested_at``) which every raw
table carries in addition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: County-level divisions of Baotou (GB/T 2260 codes, as in the DataV boundary file).
COUNTY_CODES = (
    "150202", "150203", "150204", "150205", "150206",
    "150207", "150221", "150222", "150223",
)
LAND_CLASSES = ("forest", "grassland", "wetland", "other")
FOREST_TYPES = ("conifer", "broadleaf", "mixed", "shrub")
ORIGINS = ("planted", "natural")
GRASSLAND_TYPES = ("typical_steppe", "desert_steppe", "meadow_steppe", "mountain_meadow")
#: Grassland management classes of IPCC 2019 V4 Ch6 Table 6.2 that seed_carbon_factors has an
#: F_MG for (nominal 1.0, high-intensity grazing 0.90, severely degraded 0.70, improved 1.14).
#: A grassland parcel surveyed without one is taken as ``nominal`` (the IPCC reference state).
GRASSLAND_MANAGEMENT = ("nominal", "high_intensity_grazing", "severely_degraded", "improved")
#: Input level of improved grassland (Table 6.2 F_I: medium 1.0, high 1.11); improved only.
MANAGEMENT_INPUTS = ("medium", "high")
WETLAND_CLASSES = ("river", "lake", "marsh", "constructed")
PROTECTION_TYPES = ("nature_reserve", "wetland_park", "protection_area", "none")
#: What people have done to a wetland, which decides its IPCC treatment (dbt seed
#: seed_wetland_management_treatment): natural and unmanaged, protected (designated, hydrology
#: unchanged), restored or created on mineral soil (2013 Wetlands Supplement Ch5), rewetted organic
#: soil (Ch3), drained.
WETLAND_MANAGEMENT_STATUSES = ("natural_unmanaged", "protected", "restored", "created",
                               "rewetted", "drained")
TREE_STATUSES = ("alive", "dead", "cut")
PESTS = (
    "pine_wilt_nematode",       # 松材线虫病 Bursaphelenchus xylophilus
    "fall_webworm",             # 美国白蛾 Hyphantria cunea
    "asian_longhorned_beetle",  # 光肩星天牛 Anoplophora glabripennis
    "grassland_rodent_pika",    # 草原鼠兔害
)
SEVERITIES = ("light", "moderate", "severe")
VI_QUALITY = (-1, 0, 1, 2, 3)  # MODIS pixel reliability: fill, good, marginal, snow/ice, cloudy
FIRE_VEGETATION = ("forest", "grassland", "shrub")

LINEAGE_COLUMNS = ("_source_file", "_source_sha256", "_source_row", "_ingested_at")


SURVEY_FORMATS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "string" | "int" | "float" | "date" | "bool" | "timestamp"
    required: bool = True
    min: float | None = None
    max: float | None = None
    allowed: tuple | None = None
    unit: str | None = None
    description: str = ""
    past: bool = False  # a date or year that may not lie in the future (checked at ingestion)
    ref: str | None = None  # "species" | "parcel": must exist in that reference list
    computed: bool = False  # filled by ingestion, not uploaded (left out of the templates)


@dataclass(frozen=True)
class Family:
    name: str
    dag: str  # which ingestion DAG reads it
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key of one row
    description: str = ""
    formats: tuple[str, ...] = field(default=SURVEY_FORMATS)
    #: columns whose distinct values name one logical upload batch ("same survey, same plot
    #: set"): a later file with exactly the same set supersedes the earlier file's rows.
    batch: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


C = Column

# --- Weather (fire-danger inputs, issue #14) --------------------------------------------------
#: What the temperature, humidity and wind of a row are: the FWI System wants noon (local
#: standard time) values; CMA tables give 14:00 Beijing time values or daily means, NOAA GSOD
#: daily means only ("mixed": some of each). Rain is always a 24 h total.
OBS_BASES = ("noon", "14h", "mixed", "daily_mean")
WEATHER_SOURCES = ("gsod", "cma_daily", "table")
WEATHER_COLUMNS = (
    C("station_id", "string", description="WMO station index (区站号) where there is one; a "
      "GSOD id of a WMO station (USAF = index x 10, WBAN 99999) is cut to it"),
    C("obs_date", "date", past=True, description="local date of the observation"),
    C("station_name", "string", required=False),
    C("lat", "float", required=False, min=37.0, max=45.0, unit="deg",
      description="station latitude, WGS84 (Baotou and its neighbours)"),
    C("lon", "float", required=False, min=105.0, max=115.0, unit="deg"),
    C("elevation_m", "float", required=False, min=-100, max=5000, unit="m"),
    C("temp_c", "float", required=False, min=-50, max=50, unit="degC",
      description="air temperature at noon, 14:00 or the daily mean (obs_basis)"),
    C("rh_pct", "float", required=False, min=0, max=100, unit="percent",
      description="relative humidity (GSOD: from mean temperature and dew point, Magnus)"),
    C("wind_kmh", "float", required=False, min=0, max=150, unit="km/h",
      description="10 m wind speed (CMA m/s x 3.6; GSOD knots x 1.852)"),
    C("precip_mm", "float", required=False, min=0, max=500, unit="mm",
      description="24 h precipitation (CMA 20-20 h; GSOD daily total, may start the day "
      "before); a trace is 0"),
    C("obs_basis", "string", allowed=OBS_BASES,
      description="noon | 14h | mixed | daily_mean: what temperature, humidity and wind are"),
    C("precip_flag", "string", required=False,
      description="how the precipitation was reported: GSOD PRCP attribute letter (A-I), "
      "CMA trace / fog_dew_frost / rain_and_snow / snow"),
    C("source", "string", required=False, allowed=WEATHER_SOURCES, computed=True,
      description="the reader that produced the row (set at ingestion)"),
)

# --- Carbon-offset projects (issue #15 item 1) --------------------------------------------------
PROJECT_TYPES = ("afforestation", "forest_management", "grassland", "wetland")
#: The registry a project's credits go to: the national CCER registry, the city's own 认购
#: programme (the ledger's LOCAL scheme), or Verra (VCS; not held by our ledger).
PROJECT_SCHEMES = ("CCER", "LOCAL", "VCS")
#: 林种: CCER-14-001-V01 §2 covers protection, special-use and timber forest, not economic forest.
FOREST_USES = ("protection", "special_use", "timber", "economic", "energy")
PROJECT_COLUMNS = (
    C("project_id", "string"),
    C("project_name", "string"),
    C("project_type", "string", allowed=PROJECT_TYPES,
      description="afforestation 造林 | forest_management 森林经营 | grassland 草原 | "
      "wetland 湿地"),
    C("methodology", "string", description="methodology code as published, e.g. "
      "CCER-14-001-V01, AR-CM-001-V01, AR-CM-003-V01, VM0047 (successors by their own code; "
      "the rules of each are rows of dbt seed seed_methodology_rules)"),
    C("scheme_code", "string", required=False, allowed=PROJECT_SCHEMES,
      description="registry of the credits (default: VCS for VM0047, else CCER)"),
    C("owner", "string", description="project owner (业主)"),
    C("start_date", "date", description="project start (planting for afforestation)"),
    C("crediting_start", "date", required=False,
      description="first day of the crediting period (default: start_date)"),
    C("crediting_years", "int", min=1, max=100, unit="yr", description="crediting period"),
    C("planned_area_mu", "float", required=False, min=0, max=50_000_000, unit="mu",
      description="area of the project design (the ex-ante estimate's area)"),
    C("species", "string", required=False, ref="species",
      description="main species planted (growth table of the ex-ante estimate)"),
    C("forest_use", "string", required=False, allowed=FOREST_USES, description="林种"),
    C("nonforest_since_year", "int", required=False, min=1900, max=2100,
      description="land history: the project land has not met the forest definition since "
      "this year (declared by the owner, checked against our inventory)"),
    C("has_tenure_certificate", "bool", required=False,
      description="clear tenure: 不动产权/林权证 or contract (CCER-14-001-V01 §2 b)"),
    C("parcel_id", "string", ref="parcel", description="one parcel of the project (the reader "
      "expands a ';'-separated list or a boundary polygon into one row per parcel)"),
    C("parcel_source", "string", required=False, allowed=("row", "list", "boundary"),
      computed=True, description="how the parcel was named: its own row, a list, a boundary"),
)

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family(
            "parcels",
            "ingest_surveys",
            (
                C("parcel_id", "string"),
                C("county_code", "string", allowed=COUNTY_CODES),
                C("zone_id", "string", required=False),
                C("land_class", "string", allowed=LAND_CLASSES),
                C("forest_type", "string", required=False, allowed=FOREST_TYPES),
                C("origin", "string", required=False, allowed=ORIGINS),
                C("dominant_species", "string", required=False),
                C("grassland_type", "string", required=False, allowed=GRASSLAND_TYPES),
                C("grassland_management", "string", required=False,
                  allowed=GRASSLAND_MANAGEMENT,
                  description="IPCC 2019 Table 6.2 management class in the survey year "
                  "(grassland only; missing = nominal)"),
                C("management_input", "string", required=False, allowed=MANAGEMENT_INPUTS,
                  description="input level of improved grassland (missing = medium)"),
                C("wetland_class", "string", required=False, allowed=WETLAND_CLASSES),
                C("management_status", "string", required=False,
                  allowed=WETLAND_MANAGEMENT_STATUSES,
                  description="wetland management status (wetland parcels only; missing = "
                  "natural_unmanaged): decides the IPCC treatment (seed_wetland_management_"
                  "treatment)"),
                C("management_status_since", "int", required=False, min=1900, max=2100,
                  past=True, description="year the management status began (restored, created, "
                  "rewetted, drained in that year; missing = the survey year)"),
                C("sink_project_id", "string", required=False),
                C("survey_year", "int", min=2000, max=2100, past=True),
                C("area_mu", "float", min=0, max=5_000_000, unit="mu",
                  description="area in an equal-area projection, computed at ingestion"),
                C("centroid_lon", "float", min=109.0, max=111.6, unit="deg"),
                C("centroid_lat", "float", min=40.0, max=43.0, unit="deg"),
                C("geometry_wkt", "string", description="WGS84 polygon"),
            ),
            key=("parcel_id", "survey_year"),
            description="小班 / land parcels with land class, county and development zone",
            formats=(".geojson", ".json", ".gpkg", ".parquet", ".fgb", ".zip", ".shp"),
            batch=("parcel_id", "survey_year"),
        ),
        Family(
            "projects",
            "ingest_surveys",
            PROJECT_COLUMNS,
            key=("project_id", "parcel_id"),
            description="carbon-offset projects (碳汇项目储备): methodology, owner, dates and "
            "parcels; a parcel is in one project at a time (an overlap is quarantined)",
            batch=("project_id",),
        ),
        Family(
            "forest_plots",
            "ingest_surveys",
            (
                C("plot_id", "string"),
                C("parcel_id", "string", ref="parcel"),
                C("inventory_year", "int", min=2000, max=2100, past=True),
                C("plot_area_m2", "float", min=100, max=10_000, unit="m2"),
                C("plot_lon", "float", min=109.0, max=111.6, unit="deg"),
                C("plot_lat", "float", min=40.0, max=43.0, unit="deg"),
                C("tree_id", "string"),
                C("species", "string", ref="species"),
                C("dbh_cm", "float", min=0.1, max=150, unit="cm"),
                C("height_m", "float", min=0.1, max=40, unit="m"),
                C("status", "string", allowed=TREE_STATUSES),
                C("stem_volume_m3", "float", required=False, min=0.0001, max=15, unit="m3",
                  description="stem volume over bark of the tree as read by the station from "
                  "the provincial two-way volume table (二元立木材积表); used for species without "
                  "their own biomass equation (volume x BCEF route)"),
                C("measurement_date", "date", required=False, past=True,
                  description="day the plot was tallied in this cycle (检尺日期), in "
                  "inventory_year; places a fire or pest loss before or after the tally "
                  "(missing: any day of inventory_year)"),
                C("is_in_parcel", "bool", required=False, computed=True,
                  description="the plot point lies inside its parcel's polygon (computed at "
                  "ingestion; null when the parcels layer is not loaded)"),
            ),
            key=("plot_id", "inventory_year", "tree_id"),
            description="forest sample-plot tree tallies (每木检尺), one row per tree per cycle",
            batch=("plot_id", "inventory_year"),
        ),
        Family(
            "grassland_quadrats",
            "ingest_surveys",
            (
                C("quadrat_id", "string"),
                C("parcel_id", "string", ref="parcel"),
                C("survey_date", "date", past=True),
                C("grassland_type", "string", allowed=GRASSLAND_TYPES),
                C("quadrat_area_m2", "float", allowed=(0.25, 1.0, 100.0), unit="m2"),
                C("lon", "float", min=109.0, max=111.6, unit="deg"),
                C("lat", "float", min=40.0, max=43.0, unit="deg"),
                C("cover_pct", "float", min=0, max=100, unit="percent"),
                C("height_cm", "float", required=False, min=0, max=300, unit="cm"),
                C("fresh_mass_g", "float", required=False, min=0, max=100_000, unit="g"),
                C("dry_mass_g", "float", min=0, max=100_000, unit="g"),
                C("is_in_parcel", "bool", required=False, computed=True,
                  description="the quadrat point lies inside its parcel's polygon (computed at "
                  "ingestion; null when the parcels layer is not loaded)"),
            ),
            key=("quadrat_id", "survey_date"),
            description="grassland quadrat clippings (样方), oven-dry mass at 65 °C",
            batch=("quadrat_id", "survey_date"),
        ),
        Family(
            "wetland_surveys",
            "ingest_surveys",
            (
                C("survey_id", "string"),
                C("parcel_id", "string", ref="parcel"),
                C("survey_year", "int", min=2000, max=2100, past=True),
                C("wetland_class", "string", allowed=WETLAND_CLASSES),
                C("wetland_area_mu", "float", min=0, max=5_000_000, unit="mu"),
                C("protected_area_mu", "float", min=0, max=5_000_000, unit="mu"),
                C("protection_type", "string", allowed=PROTECTION_TYPES),
                C("management_status", "string", required=False,
                  allowed=WETLAND_MANAGEMENT_STATUSES,
                  description="wetland management status (wetland parcels only; missing = "
                  "natural_unmanaged): decides the IPCC treatment (seed_wetland_management_"
                  "treatment)"),
                C("management_status_since", "int", required=False, min=1900, max=2100,
                  past=True, description="year the management status began (restored, created, "
                  "rewetted, drained in that year; missing = the survey year)"),
            ),
            key=("parcel_id", "survey_year"),
            description="wetland survey per parcel and year: area by class and protected area",
            batch=("parcel_id", "survey_year"),
        ),
        Family(
            "demo_forests",
            "ingest_surveys",
            (
                C("record_id", "string"),
                C("county_code", "string", allowed=COUNTY_CODES),
                C("year", "int", min=2000, max=2100, past=True),
                C("site_name", "string"),
                C("area_mu", "float", min=0, max=1_000_000, unit="mu"),
                C("species", "string", ref="species"),
                C("planting_date", "date", past=True),
                C("zone_id", "string", required=False),
                C("sponsor", "string", required=False),
            ),
            key=("record_id",),
            description="demonstration carbon-forest planting records (碳汇示范林)",
            batch=("record_id",),
        ),
        Family(
            "vegetation_indices",
            "ingest_remote_sensing",
            (
                C("parcel_id", "string", ref="parcel"),
                C("composite_date", "date", past=True,
                  description="first day of the 16-day composite"),
                C("ndvi", "float", min=-0.2, max=1.0),
                C("evi", "float", required=False, min=-0.2, max=1.0),
                C("quality", "int", allowed=VI_QUALITY,
                  description="MODIS pixel reliability: -1 fill, 0 good, 1 marginal, 2 snow, "
                  "3 cloud"),
                C("ndvi_std", "float", required=False, min=0, max=1.2,
                  description="standard deviation of NDVI over the parcel's pixels or points"),
                C("pixel_count", "int", required=False, min=0, max=100_000_000,
                  description="valid pixels (raster zonal statistics) or sample points averaged"),
            ),
            key=("parcel_id", "composite_date"),
            description="MOD13Q1-style 16-day NDVI/EVI per parcel",
            formats=(".csv", ".txt", ".parquet", ".tif", ".tiff"),
        ),
        Family(
            "fire_hotspots",
            "ingest_disturbances",
            (
                C("latitude", "float", min=-90, max=90, unit="deg"),
                C("longitude", "float", min=-180, max=180, unit="deg"),
                C("brightness_k", "float", min=200, max=600, unit="K"),
                C("scan_km", "float", min=0, max=10, unit="km"),
                C("track_km", "float", min=0, max=10, unit="km"),
                C("acq_date", "date", past=True),
                C("acq_time_utc", "string", description="HH:MM, UTC"),
                C("satellite", "string"),
                C("instrument", "string", allowed=("MODIS", "VIIRS")),
                C("confidence_raw", "string", description="confidence as in the file"),
                C("confidence_pct", "float", min=0, max=100,
                  description="MODIS 0-100; VIIRS low/nominal/high mapped to 20/60/90"),
                C("confidence_class", "string", required=False, allowed=("low", "nominal", "high"),
                  description="one scale for both sensors: VIIRS class; MODIS <30 low, "
                  "<80 nominal, else high"),
                C("version", "string"),
                C("brightness2_k", "float", required=False, min=150, max=500, unit="K"),
                C("frp_mw", "float", required=False, min=0, max=100_000, unit="MW"),
                C("daynight", "string", allowed=("D", "N")),
                C("fire_type", "int", required=False, allowed=(0, 1, 2, 3)),
                C("is_non_vegetation", "bool", required=False,
                  description="type 1 volcano, 2 static land source (steel works, power "
                  "plant), 3 offshore"),
                C("is_nrt", "bool"),
                C("county_code", "string", required=False),
                C("parcel_id", "string", required=False),
            ),
            key=("instrument", "satellite", "latitude", "longitude", "acq_date", "acq_time_utc"),
            description="NASA FIRMS active-fire detections (MODIS C6.1, VIIRS 375 m)",
            formats=(".csv", ".txt", ".json", ".zip", ".shp"),
        ),
        Family(
            "fire_reports",
            "ingest_disturbances",
            (
                C("report_id", "string"),
                C("county_code", "string", allowed=COUNTY_CODES),
                C("parcel_id", "string", required=False, ref="parcel"),
                C("start_date", "date", past=True),
                C("end_date", "date", past=True),
                C("lon", "float", min=109.0, max=111.6, unit="deg"),
                C("lat", "float", min=40.0, max=43.0, unit="deg"),
                C("burned_area_ha", "float", min=0, max=100_000, unit="ha"),
                C("vegetation_type", "string", allowed=FIRE_VEGETATION),
                C("cause", "string", required=False),
            ),
            key=("report_id",),
            description="forest and grassland fire reports from the fire-prevention offices",
            batch=("report_id",),
        ),
        Family(
            "pest_reports",
            "ingest_disturbances",
            (
                C("report_id", "string"),
                C("county_code", "string", allowed=COUNTY_CODES),
                C("parcel_id", "string", required=False, ref="parcel"),
                C("report_date", "date", past=True),
                C("pest", "string", allowed=PESTS),
                C("host", "string", required=False),
                C("affected_area_mu", "float", min=0, max=10_000_000, unit="mu"),
                C("severity", "string", allowed=SEVERITIES),
                C("dead_trees", "int", required=False, min=0, max=10_000_000),
                C("damaged_rate_pct", "float", required=False, min=0, max=100, unit="percent"),
                C("lon", "float", required=False, min=109.0, max=111.6, unit="deg",
                  description="point of the detection (WGS84), e.g. the infected tree; without "
                  "it a pine wilt epidemic point cannot be placed (county-level alert)"),
                C("lat", "float", required=False, min=40.0, max=43.0, unit="deg"),
            ),
            key=("report_id",),
            description=(
                "pest and rodent damage reports (pine wilt, fall webworm, ALB, rodents/pikas)"
            ),
            batch=("report_id",),
        ),
        Family(
            "weather_daily",
            "ingest_weather",
            WEATHER_COLUMNS,
            key=("station_id", "obs_date"),
            description="daily weather observations per station (NOAA GSOD, CMA daily tables): "
            "the inputs of the fire-danger rating",
            formats=(".csv", ".tsv", ".txt", ".xlsx", ".xlsm"),
            batch=("station_id", "obs_date"),
        ),
    ]
}

DAG_FAMILIES: dict[str, list[str]] = {}
for _f in FAMILIES.values():
    DAG_FAMILIES.setdefault(_f.dag, []).append(_f.name)

#: The ingestion DAGs' families in one list, in DAG order (surveys first: the parcels
#: layer the later families are checked against), for callers that ingest everything at once.
INGEST_ORDER: list[str] = [f for dag in ("ingest_surveys", "ingest_remote_sensing",
                                         "ingest_disturbances", "ingest_weather")
                           for f in DAG_FAMILIES[dag]]


# --- Header aliases and value aliases --------------------------------------------------------
# What field crews and portals call the contract columns. Per family and column: the Chinese
# header the upload template uses first, then other Chinese and English names. A header may carry
# a unit in brackets or as a suffix (``胸径(英寸)``, ``DBH (in)``, ``height_ft``); readers convert
# it to the contract unit (``ingestion.headers``). Names are matched case- and space-insensitively.

_PARCEL = ("小班号", "小班编号", "地块编号", "地块号", "图斑号", "parcel", "parcel_code")
_COUNTY = ("县区代码", "行政区划代码", "旗县区代码", "区县代码", "adcode", "county")
_ZONE = ("功能区", "园区", "zone")
_LON = ("经度", "lng", "long", "x")
_LAT = ("纬度", "y")
# "mgmt_statu" / "status_yr": the names cut to 10 characters by a shapefile (DBF)
_MGMT_STATUS = ("湿地管理状态", "管理状态", "经营状态", "wetland_status", "mgmt_status",
                "mgmt_statu")
_MGMT_SINCE = ("状态起始年", "管理状态起始年", "状态变更年度", "status_since", "since_year",
               "status_yr")

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "parcels": {
        "parcel_id": _PARCEL, "county_code": _COUNTY, "zone_id": _ZONE,
        "land_class": ("地类", "土地类别", "landclass", "land_type"),
        "forest_type": ("森林类别", "林分类型", "林种结构"), "origin": ("起源",),
        "dominant_species": ("优势树种", "树种", "dominant"),
        # "grassland_" is grassland_type cut to 10 characters by a shapefile (DBF), which would
        # otherwise be ambiguous with grassland_management; that one is "grass_mgmt" in a DBF.
        "grassland_type": ("草地类型", "草原类型", "grassland_"),
        "grassland_management": ("草地管理方式", "草原管理方式", "草地利用状况", "利用状况",
                                 "管理方式", "management", "grass_mgmt"),
        "management_input": ("投入水平", "改良投入水平", "input_level", "mgmt_input"),
        "wetland_class": ("湿地类型",),
        "management_status": _MGMT_STATUS, "management_status_since": _MGMT_SINCE,
        "sink_project_id": ("碳汇项目", "项目编号", "project_id"),
        "survey_year": ("调查年度", "年度", "year"),
    },
    "projects": {
        "project_id": ("项目编号", "项目代码", "project"), "project_name": ("项目名称", "name"),
        "project_type": ("项目类型", "type"), "methodology": ("方法学", "方法学编号"),
        "scheme_code": ("登记机构", "交易机制", "scheme", "registry"),
        "owner": ("项目业主", "业主", "业主单位"),
        "start_date": ("项目开始日期", "开始日期", "造林日期", "start"),
        "crediting_start": ("计入期开始日期", "计入期起始日期"),
        "crediting_years": ("计入期", "计入期年限", "计入期(年)", "crediting_period"),
        "planned_area_mu": ("设计面积", "项目面积", "计划面积", "area", "planned_area"),
        "species": ("造林树种", "主要树种", "树种"), "forest_use": ("林种",),
        "nonforest_since_year": ("无林地起始年度", "非林地起始年度", "nonforest_since"),
        "has_tenure_certificate": ("权属证明", "有权属证书", "tenure"),
        "parcel_id": _PARCEL,
    },
    "forest_plots": {
        "plot_id": ("样地号", "样地编号", "plot"), "parcel_id": _PARCEL,
        "inventory_year": ("调查年度", "清查年度", "年度", "year"),
        "plot_area_m2": ("样地面积", "plot_area"), "plot_lon": ("样地经度",) + _LON,
        "plot_lat": ("样地纬度",) + _LAT, "tree_id": ("样木号", "树号", "tree", "tree_no"),
        "species": ("树种", "树种名称", "species_name"), "dbh_cm": ("胸径", "dbh"),
        "height_m": ("树高", "height", "tree_height"), "status": ("检尺类型", "状态", "林木状态"),
        "stem_volume_m3": ("材积", "单株材积", "立木材积", "volume_m3", "stem_volume", "volume"),
        "measurement_date": ("检尺日期", "调查日期", "测树日期", "tally_date", "survey_date"),
    },
    "grassland_quadrats": {
        "quadrat_id": ("样方号", "样方编号", "quadrat"), "parcel_id": _PARCEL,
        "survey_date": ("调查日期", "日期", "date"), "grassland_type": ("草地类型", "草原类型"),
        "quadrat_area_m2": ("样方面积", "quadrat_area"), "lon": _LON, "lat": _LAT,
        "cover_pct": ("盖度", "植被盖度", "cover"), "height_cm": ("草层高度", "平均高度", "height"),
        "fresh_mass_g": ("鲜重", "fresh_mass"), "dry_mass_g": ("干重", "风干重", "dry_mass"),
    },
    "wetland_surveys": {
        "survey_id": ("调查编号", "survey"), "parcel_id": _PARCEL,
        "survey_year": ("调查年度", "年度", "year"), "wetland_class": ("湿地类型",),
        "wetland_area_mu": ("湿地面积", "wetland_area"),
        "protected_area_mu": ("保护面积", "受保护面积", "protected_area"),
        "protection_type": ("保护形式", "保护类型"),
        "management_status": _MGMT_STATUS, "management_status_since": _MGMT_SINCE,
    },
    "demo_forests": {
        "record_id": ("记录号", "编号", "record"), "county_code": _COUNTY,
        "year": ("年度", "造林年度"), "site_name": ("示范林名称", "地点", "site"),
        "area_mu": ("面积", "造林面积", "area"), "species": ("树种",),
        "planting_date": ("造林日期", "栽植日期", "date"), "zone_id": _ZONE,
        "sponsor": ("出资单位", "承建单位"),
    },
    "fire_reports": {
        "report_id": ("报告编号", "火情编号", "report"), "county_code": _COUNTY,
        "parcel_id": _PARCEL, "start_date": ("起火日期", "发生日期"),
        "end_date": ("扑灭日期", "结束日期"), "lon": _LON, "lat": _LAT,
        "burned_area_ha": ("过火面积", "burned_area"),
        "vegetation_type": ("植被类型", "火灾类型"), "cause": ("起火原因",),
    },
    "pest_reports": {
        "report_id": ("报告编号", "report"), "county_code": _COUNTY, "parcel_id": _PARCEL,
        "report_date": ("报告日期", "调查日期", "date"),
        "pest": ("有害生物", "病虫害种类", "病虫鼠害"),
        "host": ("寄主", "寄主树种"), "affected_area_mu": ("发生面积", "affected_area"),
        "severity": ("危害程度", "发生程度"), "dead_trees": ("死亡株数", "枯死株数"),
        "damaged_rate_pct": ("受害率", "damaged_rate"), "lon": _LON, "lat": _LAT,
    },
    "weather_daily": {
        "station_id": ("区站号", "站号", "台站号", "station", "station_code", "wmo"),
        "obs_date": ("日期", "观测日期", "年月日", "date"),
        "station_name": ("站名", "台站名称", "name"), "lat": _LAT + ("latitude",),
        "lon": _LON + ("longitude",), "elevation_m": ("海拔高度", "观测场拔海高度", "elevation"),
        "temp_c": ("temperature_c", "temp"), "rh_pct": ("rh", "humidity", "relative_humidity"),
        "wind_kmh": ("wind", "wind_speed_kmh"), "precip_mm": ("precip", "rain_mm", "rain"),
        "obs_basis": ("观测时次", "basis"), "precip_flag": ("降水标记",),
    },
    "vegetation_indices": {
        "parcel_id": _PARCEL, "composite_date": ("date", "日期", "合成日期"),
        "quality": ("pixel_reliability", "summaryqa", "summary_qa", "质量"),
    },
}

#: Chinese (and spelled-out) values of the coded columns, mapped onto the contract's codes.
COUNTY_NAMES = {
    "东河区": "150202", "昆都仑区": "150203", "青山区": "150204", "石拐区": "150205",
    "白云鄂博矿区": "150206", "九原区": "150207", "土默特右旗": "150221", "固阳县": "150222",
    "达尔罕茂明安联合旗": "150223", "达茂旗": "150223", "土右旗": "150221",
}
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "county_code": COUNTY_NAMES,
    "land_class": {"林地": "forest", "草地": "grassland", "湿地": "wetland", "其他": "other",
                   "其它": "other"},
    "forest_type": {"针叶林": "conifer", "阔叶林": "broadleaf", "针阔混交林": "mixed",
                    "混交林": "mixed", "灌木林": "shrub"},
    "origin": {"人工": "planted", "人工林": "planted", "天然": "natural", "天然林": "natural"},
    "grassland_type": {"典型草原": "typical_steppe", "荒漠草原": "desert_steppe",
                       "草甸草原": "meadow_steppe", "山地草甸": "mountain_meadow"},
    "grassland_management": {
        "正常": "nominal", "正常利用": "nominal", "合理利用": "nominal", "未退化": "nominal",
        "重度放牧": "high_intensity_grazing", "过度放牧": "high_intensity_grazing",
        "超载过牧": "high_intensity_grazing", "高强度放牧": "high_intensity_grazing",
        "严重退化": "severely_degraded", "重度退化": "severely_degraded",
        "改良": "improved", "改良草地": "improved",
    },
    "management_input": {"中": "medium", "中等": "medium", "中等投入": "medium",
                         "高": "high", "高投入": "high"},
    "wetland_class": {"河流湿地": "river", "河流": "river", "湖泊湿地": "lake", "湖泊": "lake",
                      "沼泽湿地": "marsh", "沼泽": "marsh", "人工湿地": "constructed"},
    "management_status": {
        "自然未管理": "natural_unmanaged", "天然湿地": "natural_unmanaged",
        "未管理": "natural_unmanaged",
        "保护": "protected", "受保护": "protected", "已保护": "protected",
        "修复": "restored", "恢复": "restored", "退耕还湿": "restored", "已修复": "restored",
        "新建": "created", "人工营造": "created", "营造": "created",
        "再湿润": "rewetted", "复湿": "rewetted",
        "排干": "drained", "疏干": "drained", "已排干": "drained",
    },
    "protection_type": {"自然保护区": "nature_reserve", "湿地公园": "wetland_park",
                        "保护小区": "protection_area", "无": "none"},
    "status": {"活立木": "alive", "活": "alive", "保留木": "alive", "枯立木": "dead",
               "枯死": "dead", "采伐": "cut", "采伐木": "cut"},
    "severity": {"轻": "light", "轻度": "light", "中": "moderate", "中度": "moderate",
                 "重": "severe", "重度": "severe"},
    "vegetation_type": {"森林": "forest", "林地": "forest", "草原": "grassland",
                        "草地": "grassland", "灌木": "shrub", "灌木林": "shrub"},
    "project_type": {"造林": "afforestation", "碳汇造林": "afforestation",
                     "森林经营": "forest_management", "草原": "grassland", "草地": "grassland",
                     "湿地": "wetland"},
    "forest_use": {"防护林": "protection", "特种用途林": "special_use", "用材林": "timber",
                   "经济林": "economic", "能源林": "energy", "薪炭林": "energy"},
    "pest": {"松材线虫病": "pine_wilt_nematode", "美国白蛾": "fall_webworm",
             "光肩星天牛": "asian_longhorned_beetle", "草原鼠兔害": "grassland_rodent_pika",
             "鼠兔害": "grassland_rodent_pika", "草原鼠害": "grassland_rodent_pika"},
}
