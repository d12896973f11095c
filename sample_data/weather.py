"""Sample daily weather for the fire-danger rating (family ``weather_daily``), in the two real
upload layouts the readers know (``ingestion.weather``):

* NOAA GSOD CSV, station 53446 包头 (Baotou): one file per year as NCEI publishes it (quoted,
  space-padded, °F, knots, inches, 9999.9 / 999.9 / 99.99 for missing, PRCP attribute letters);
* CMA-style Chinese daily table, station 53352 达茂旗 (百灵庙): 14:00 temperature and humidity,
  daily mean wind and 20-20 h precipitation in 0.1 units, 32766 missing, 32700 trace.

The weather is synthetic, not observed: a seasonal cycle shaped like Baotou's climate (cold dry
winters, windy dry springs, summer rain of about 300 mm a year) with day-to-day noise, a few
missing days and a dry, windy spell each April so that the rating reaches 四级 and 五级. The
newest files end on ``LAST_DAY`` (a delivery in late October) after an autumn dry spell, so that
the latest days carry 四级/五级 ratings and the demo raises fire-danger alerts for them.
Deterministic for a given seed. ``write_weather`` is called by the sample-data generator.
"""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np

#: (WMO index, GSOD STATION, name, lat, lon, elevation m); coordinates approximate.
GSOD_STATION = ("53446", "53446099999", "BAOTOU, CH", 40.6666666, 109.85, 1067.0)
CMA_STATION = ("53352", "达茂旗", 4142, 11026, 13768)  # 度分, 0.1 m
GSOD_HEADER = ["STATION", "DATE", "LATITUDE", "LONGITUDE", "ELEVATION", "NAME", "TEMP",
               "TEMP_ATTRIBUTES", "DEWP", "DEWP_ATTRIBUTES", "SLP", "SLP_ATTRIBUTES", "STP",
               "STP_ATTRIBUTES", "VISIB", "VISIB_ATTRIBUTES", "WDSP", "WDSP_ATTRIBUTES",
               "MXSPD", "GUST", "MAX", "MAX_ATTRIBUTES", "MIN", "MIN_ATTRIBUTES", "PRCP",
               "PRCP_ATTRIBUTES", "SNDP", "FRSHTT"]
CMA_HEADER = ["区站号", "站名", "纬度", "经度", "观测场拔海高度(0.1m)", "年", "月", "日",
              "平均气温(0.1℃)", "14时气温(0.1℃)", "平均相对湿度(%)", "14时相对湿度(%)",
              "平均风速(0.1m/s)", "20-20时降水量(0.1mm)"]
#: Chance of a wet day and mean wet-day amount (mm) by month (rain falls mostly Jun-Aug).
WET_DAY = (0.05, 0.05, 0.08, 0.10, 0.15, 0.25, 0.35, 0.33, 0.22, 0.10, 0.06, 0.04)
WET_MM = (1.0, 1.5, 2.5, 4.0, 5.0, 7.0, 9.0, 9.0, 6.0, 4.0, 2.0, 1.0)
#: The newest observation delivered (the series of its year ends here).
LAST_DAY = date(2025, 10, 20)


def _day(rng: np.random.Generator, d: date, dry_spell: bool) -> dict:
    doy = d.timetuple().tm_yday
    mean_t = 7.5 - 17.5 * math.cos(2 * math.pi * (doy - 15) / 365.25) + rng.normal(0, 3.0)
    t14 = mean_t + 5.0 + rng.normal(0, 1.5)
    rh_mean = 50 + 12 * math.cos(2 * math.pi * (doy - 210) / 365.25) + rng.normal(0, 8)
    spring = math.exp(-((doy - 110) / 40.0) ** 2)
    wind_ms = max(0.5, 1.8 + 2.2 * spring + rng.gamma(2.0, 0.5))
    m = d.month - 1
    rain = float(rng.exponential(WET_MM[m])) if rng.random() < WET_DAY[m] else 0.0
    if dry_spell:
        t14 += 6.0
        rh_mean -= 18
        wind_ms += 3.0
        rain = 0.0
    rh_mean = min(95.0, max(12.0, rh_mean))
    rh14 = max(6.0, rh_mean - 10 + rng.normal(0, 4))
    return {"mean_t": mean_t, "t14": t14, "rh_mean": rh_mean, "rh14": rh14, "wind": wind_ms,
            "rain": rain}


def _series(rng: np.random.Generator, year: int, last_day: date = LAST_DAY
            ) -> list[tuple[date, dict]]:
    start = date(year, 1, 1)
    end = min(date(year + 1, 1, 1), last_day + timedelta(days=1))
    spell = {date(year, 4, 12) + timedelta(days=i) for i in range(9)}
    if last_day.year == year:  # the autumn dry spell before the newest delivery
        spell |= {last_day - timedelta(days=i) for i in range(9)}
    return [(start + timedelta(days=i), _day(rng, start + timedelta(days=i),
                                             start + timedelta(days=i) in spell))
            for i in range((end - start).days)]


def _dewpoint_c(t: float, rh: float) -> float:
    g = math.log(rh / 100.0) + 17.625 * t / (243.04 + t)
    return 243.04 * g / (17.625 - g)


def _f(c: float) -> float:
    return c * 9.0 / 5.0 + 32.0


def _write_gsod(out: Path, rng: np.random.Generator, year: int) -> Path:
    _wmo, station, name, lat, lon, elev = GSOD_STATION
    gaps = {date(year, 3, 3), date(year, 8, 20)}  # no report: the day is absent from the file
    path = out / f"gsod_{year}_{station}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(GSOD_HEADER)
        for d, x in _series(rng, year):
            if d in gaps:
                continue
            dew = _dewpoint_c(x["mean_t"], x["rh_mean"])
            no_precip = x["rain"] == 0.0 and rng.random() < 0.1
            prcp, flag = ("99.99", " ") if no_precip else (f"{x['rain'] / 25.4:5.2f}",
                                                            "D" if x["rain"] else "I")
            wdsp = x["wind"] * 3.6 / 1.852
            w.writerow([station, d.isoformat(), f"{lat}", f"{lon}", f"{elev}", name,
                        f"{_f(x['mean_t']):6.1f}", "24", f"{_f(dew):6.1f}", "24", "1016.0",
                        "24", " 893.0", "24", " 12.4", "24", f"{wdsp:5.1f}", "24",
                        f"{wdsp * 1.8:5.1f}", "999.9", f"{_f(x['t14'] + 2):6.1f}", "*",
                        f"{_f(x['mean_t'] - 7):6.1f}", "*", prcp, flag, "999.9",
                        "010000" if x["rain"] else "000000"])
    return path


def _write_cma(out: Path, rng: np.random.Generator, year: int) -> Path:
    wmo, name, lat, lon, elev = CMA_STATION
    missing = {date(year, 5, 7): "wind", date(year, 9, 2): "temp"}
    path = out / f"cma_daily_{wmo}_{year}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CMA_HEADER)
        for d, x in _series(rng, year):
            t_mean, t14 = round(x["mean_t"] * 10) - 15, round(x["t14"] * 10) - 15  # higher: cooler
            wind = round(x["wind"] * 10)
            rain = round(x["rain"] * 10)
            if 0 < x["rain"] < 0.1 or (rain == 0 and rng.random() < 0.03):
                rain = 32700  # trace
            if missing.get(d) == "wind":
                wind = 32766
            if missing.get(d) == "temp":
                t_mean = t14 = 32766
            w.writerow([wmo, name, lat, lon, elev, d.year, d.month, d.day, t_mean, t14,
                        round(x["rh_mean"]), round(x["rh14"]), wind, rain])
    return path


def write_weather(out_dir: Path, seed: int, years: tuple[int, ...] = (2024, 2025)) -> list[Path]:
    """Write the sample weather files for ``years`` into ``out_dir`` (the landing folder of
    ``weather_daily``); returns the files written, GSOD first then CMA, by year."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gsod = [_write_gsod(out_dir, np.random.default_rng([seed, year, 1]), year) for year in years]
    cma = [_write_cma(out_dir, np.random.default_rng([seed, year, 2]), year) for year in years]
    return gsod + cma
