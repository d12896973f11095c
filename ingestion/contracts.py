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
WETLAND_CLASSES = ("river", "lake", "marsh", "constructed")
PROTECTION_TYPES = ("nature_reserve", "wetland_park", "protection_area", "none")
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


@dataclass(frozen=True)
class Family:
    name: str
    dag: str  # which ingestion DAG reads it
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key of one row
    description: str = ""
    formats: tuple[str, ...] = field(default=(".csv",))

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


C = Column

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
                C("wetland_class", "string", required=False, allowed=WETLAND_CLASSES),
                C("sink_project_id", "string", required=False),
                C("survey_year", "int", min=2000, max=2100),
                C("area_mu", "float", min=0, max=5_000_000, unit="mu",
                  description="area in an equal-area projection, computed at ingestion"),
                C("centroid_lon", "float", min=109.0, max=111.6, unit="deg"),
                C("centroid_lat", "float", min=40.0, max=43.0, unit="deg"),
                C("geometry_wkt", "string", description="WGS84 polygon"),
            ),
            key=("parcel_id", "survey_year"),
            description="小班 / land parcels with land class, county and development zone",
            formats=(".geojson", ".json"),
        ),
        Family(
            "forest_plots",
            "ingest_surveys",
            (
                C("plot_id", "string"),
                C("parcel_id", "string"),
                C("inventory_year", "int", min=2000, max=2100),
                C("plot_area_m2", "float", min=100, max=10_000, unit="m2"),
                C("plot_lon", "float", min=109.0, max=111.6, unit="deg"),
                C("plot_lat", "float", min=40.0, max=43.0, unit="deg"),
                C("tree_id", "string"),
                C("species", "string"),
                C("dbh_cm", "float", min=0.1, max=150, unit="cm"),
                C("height_m", "float", min=0.1, max=40, unit="m"),
                C("status", "string", allowed=TREE_STATUSES),
            ),
            key=("plot_id", "inventory_year", "tree_id"),
            description="forest sample-plot tree tallies (每木检尺), one row per tree per cycle",
        ),
        Family(
            "grassland_quadrats",
            "ingest_surveys",
            (
                C("quadrat_id", "string"),
                C("parcel_id", "string"),
                C("survey_date", "date"),
                C("grassland_type", "string", allowed=GRASSLAND_TYPES),
                C("quadrat_area_m2", "float", allowed=(0.25, 1.0, 100.0), unit="m2"),
                C("lon", "float", min=109.0, max=111.6, unit="deg"),
                C("lat", "float", min=40.0, max=43.0, unit="deg"),
                C("cover_pct", "float", min=0, max=100, unit="percent"),
                C("height_cm", "float", required=False, min=0, max=300, unit="cm"),
                C("fresh_mass_g", "float", required=False, min=0, max=100_000, unit="g"),
                C("dry_mass_g", "float", min=0, max=100_000, unit="g"),
            ),
            key=("quadrat_id", "survey_date"),
            description="grassland quadrat clippings (样方), oven-dry mass at 65 °C",
        ),
        Family(
            "wetland_surveys",
            "ingest_surveys",
            (
                C("survey_id", "string"),
                C("parcel_id", "string"),
                C("survey_year", "int", min=2000, max=2100),
                C("wetland_class", "string", allowed=WETLAND_CLASSES),
                C("wetland_area_mu", "float", min=0, max=5_000_000, unit="mu"),
                C("protected_area_mu", "float", min=0, max=5_000_000, unit="mu"),
                C("protection_type", "string", allowed=PROTECTION_TYPES),
            ),
            key=("parcel_id", "survey_year"),
            description="wetland survey per parcel and year: area by class and protected area",
        ),
        Family(
            "demo_forests",
            "ingest_surveys",
            (
                C("record_id", "string"),
                C("county_code", "string", allowed=COUNTY_CODES),
                C("year", "int", min=2000, max=2100),
                C("site_name", "string"),
                C("area_mu", "float", min=0, max=1_000_000, unit="mu"),
                C("species", "string"),
                C("planting_date", "date"),
                C("zone_id", "string", required=False),
                C("sponsor", "string", required=False),
            ),
            key=("record_id",),
            description="demonstration carbon-forest planting records (碳汇示范林)",
        ),
        Family(
            "vegetation_indices",
            "ingest_remote_sensing",
            (
                C("parcel_id", "string"),
                C("composite_date", "date", description="first day of the 16-day composite"),
                C("ndvi", "float", min=-0.2, max=1.0),
                C("evi", "float", required=False, min=-0.2, max=1.0),
                C("quality", "int", allowed=VI_QUALITY,
                  description="MODIS pixel reliability: -1 fill, 0 good, 1 marginal, 2 snow, 3 cloud"),
            ),
            key=("parcel_id", "composite_date"),
            description="MOD13Q1-style 16-day NDVI/EVI per parcel",
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
                C("acq_date", "date"),
                C("acq_time_utc", "string", description="HH:MM, UTC"),
                C("satellite", "string"),
                C("instrument", "string", allowed=("MODIS", "VIIRS")),
                C("confidence_raw", "string", description="confidence as in the file"),
                C("confidence_pct", "float", min=0, max=100,
                  description="MODIS 0-100; VIIRS low/nominal/high mapped to 20/60/90"),
                C("version", "string"),
                C("brightness2_k", "float", required=False, min=150, max=500, unit="K"),
                C("frp_mw", "float", required=False, min=0, max=100_000, unit="MW"),
                C("daynight", "string", allowed=("D", "N")),
                C("fire_type", "int", required=False, allowed=(0, 1, 2, 3)),
                C("is_nrt", "bool"),
                C("county_code", "string", required=False),
                C("parcel_id", "string", required=False),
            ),
            key=("instrument", "satellite", "latitude", "longitude", "acq_date", "acq_time_utc"),
            description="NASA FIRMS active-fire detections (MODIS C6.1, VIIRS 375 m)",
        ),
        Family(
            "fire_reports",
            "ingest_disturbances",
            (
                C("report_id", "string"),
                C("county_code", "string", allowed=COUNTY_CODES),
                C("parcel_id", "string", required=False),
                C("start_date", "date"),
                C("end_date", "date"),
                C("lon", "float", min=109.0, max=111.6, unit="deg"),
                C("lat", "float", min=40.0, max=43.0, unit="deg"),
                C("burned_area_ha", "float", min=0, max=100_000, unit="ha"),
                C("vegetation_type", "string", allowed=FIRE_VEGETATION),
                C("cause", "string", required=False),
            ),
            key=("report_id",),
            description="forest and grassland fire reports from the fire-prevention offices",
        ),
        Family(
            "pest_reports",
            "ingest_disturbances",
            (
                C("report_id", "string"),
                C("county_code", "string", allowed=COUNTY_CODES),
                C("parcel_id", "string", required=False),
                C("report_date", "date"),
                C("pest", "string", allowed=PESTS),
                C("host", "string", required=False),
                C("affected_area_mu", "float", min=0, max=10_000_000, unit="mu"),
                C("severity", "string", allowed=SEVERITIES),
                C("dead_trees", "int", required=False, min=0, max=10_000_000),
                C("damaged_rate_pct", "float", required=False, min=0, max=100, unit="percent"),
            ),
            key=("report_id",),
            description="pest and rodent damage reports (pine wilt, fall webworm, ALB, rodents/pikas)",
        ),
    ]
}

DAG_FAMILIES: dict[str, list[str]] = {}
for _f in FAMILIES.values():
    DAG_FAMILIES.setdefault(_f.dag, []).append(_f.name)
