"""The Canadian Forest Fire Weather Index (FWI) System, daily, after Van Wagner (1987).

Equations: Van Wagner, C.E. 1987. *Development and structure of the Canadian Forest Fire Weather
Index System.* Canadian Forestry Service, Forestry Technical Report 35 (equation numbers below),
as programmed in Van Wagner & Pickett (1985, Forestry Technical Report 33) and restated by Wang,
Anderson & Suddaby (2015, *Updated source code for calculating fire danger indices in the
Canadian Forest Fire Weather Index System*, NRCan Information Report NOR-X-424). Checked against
that report's standard test data to 0.1 (``tests/test_fire_weather.py``).

Own code, not a library: ``cffdrs-fire`` 0.3.0 (PyPI) departs from the 1987 equations: rain of
0.5 mm or less wets the FFMC (on the standard test data its FFMC is 4.5, its FWI 5.5 off the
published values), and its DC has neither the -2.8 °C temperature floor nor the V >= 0 floor,
so a cold March day lowers the DC. ``xclim`` implements the system (validated against the
cffdrs R package) but would add xarray, numba and pint to the locked environment for some 150
lines of arithmetic. See the README, "Fire danger".

Inputs per day, as the system defines them: noon (local standard time) temperature (°C),
relative humidity (%), 10 m wind speed (km/h) and rain of the 24 hours ending at noon (mm).

Day-length factors: the standard tables (46° N, Canada). cffdrs applies them unchanged north of
33° N (DMC) and 20° N (DC); Baotou (40.2-42.7° N) is in that band, so no latitude adjustment.

Missing days (:func:`fwi_series`): weather is never invented. A day without a complete
observation gets no codes and no rating. After a gap of at most ``max_gap_days`` days the codes
go on from the last observed day (carried, not updated: the gap's weather is unknown); after a
longer gap, or at the first observation, they restart from the standard start-up values
FFMC 85, DMC 6, DC 15 (Van Wagner 1987; Lawson & Armitage 2008, *Weather guide for the Canadian
Forest Fire Danger Rating System*, NoFC, start-up after snow melt or a long interruption). The
default of 3 days is our choice (status A): the FFMC (time lag about 2/3 day) recovers from a
short gap within a day or two of observations; the DMC (about 12 days) and DC (about 52 days)
would keep any rain missed in a longer gap, so they start again instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

#: Standard start-up values (Van Wagner 1987; Van Wagner & Pickett 1985).
FFMC_START, DMC_START, DC_START = 85.0, 6.0, 15.0
#: Effective day length for the DMC, Le, by month (Van Wagner 1987, Table 1).
DMC_DAY_LENGTH = (6.5, 7.5, 9.0, 12.8, 13.9, 13.9, 12.4, 10.9, 9.4, 8.0, 7.0, 6.0)
#: Day-length adjustment for the DC, Lf, by month (Van Wagner 1987, Table 2).
DC_DAY_LENGTH = (-1.6, -1.6, -1.6, 0.9, 3.8, 5.8, 6.4, 5.0, 2.4, 0.4, -1.6, -1.6)
#: FFMC scale constant of eq. 1 and 10, as printed by Van Wagner (1987). The published standard
#: test values follow it (with cffdrs' 147.27723 = 250 * 59.5 / 101, ISI and FWI of the test's
#: 7 May are 0.2 and 0.3 off).
FFMC_K = 147.2
#: Longest run of days without observation across which the codes are carried on.
MAX_GAP_DAYS = 3


def ffmc(ffmc0: float, temp: float, rh: float, wind: float, rain: float) -> float:
    """Fine Fuel Moisture Code of today from yesterday's (eq. 1-10)."""
    mo = FFMC_K * (101.0 - ffmc0) / (59.5 + ffmc0)  # eq. 1
    if rain > 0.5:
        rf = rain - 0.5  # eq. 2
        mr = mo + 42.5 * rf * math.exp(-100.0 / (251.0 - mo)) * (1.0 - math.exp(-6.93 / rf))
        if mo > 150.0:  # eq. 3b
            mr += 0.0015 * (mo - 150.0) ** 2 * math.sqrt(rf)
        mo = min(mr, 250.0)
    ed = (0.942 * rh ** 0.679 + 11.0 * math.exp((rh - 100.0) / 10.0)
          + 0.18 * (21.1 - temp) * (1.0 - math.exp(-0.115 * rh)))  # eq. 4
    if mo > ed:
        ko = (0.424 * (1.0 - (rh / 100.0) ** 1.7)
              + 0.0694 * math.sqrt(wind) * (1.0 - (rh / 100.0) ** 8))  # eq. 6a
        kd = ko * 0.581 * math.exp(0.0365 * temp)  # eq. 6b
        m = ed + (mo - ed) * 10.0 ** (-kd)  # eq. 8
    else:
        ew = (0.618 * rh ** 0.753 + 10.0 * math.exp((rh - 100.0) / 10.0)
              + 0.18 * (21.1 - temp) * (1.0 - math.exp(-0.115 * rh)))  # eq. 5
        if mo < ew:
            k1 = (0.424 * (1.0 - ((100.0 - rh) / 100.0) ** 1.7)
                  + 0.0694 * math.sqrt(wind) * (1.0 - ((100.0 - rh) / 100.0) ** 8))  # eq. 7a
            kw = k1 * 0.581 * math.exp(0.0365 * temp)  # eq. 7b
            m = ew - (ew - mo) * 10.0 ** (-kw)  # eq. 9
        else:
            m = mo
    f = 59.5 * (250.0 - m) / (FFMC_K + m)  # eq. 10
    return min(max(f, 0.0), 101.0)


def dmc(dmc0: float, temp: float, rh: float, rain: float, month: int) -> float:
    """Duff Moisture Code of today from yesterday's (eq. 11-17)."""
    t = max(temp, -1.1)
    k = 1.894 * (t + 1.1) * (100.0 - rh) * DMC_DAY_LENGTH[month - 1] * 1e-6  # eq. 16
    p = dmc0
    if rain > 1.5:
        re = 0.92 * rain - 1.27  # eq. 11
        mo = 20.0 + math.exp(5.6348 - dmc0 / 43.43)  # eq. 12
        if dmc0 <= 33.0:  # eq. 13a-c
            b = 100.0 / (0.5 + 0.3 * dmc0)
        elif dmc0 <= 65.0:
            b = 14.0 - 1.3 * math.log(dmc0)
        else:
            b = 6.2 * math.log(dmc0) - 17.2
        mr = mo + 1000.0 * re / (48.77 + b * re)  # eq. 14
        p = max(244.72 - 43.43 * math.log(mr - 20.0), 0.0)  # eq. 15
    return max(p + 100.0 * k, 0.0)  # eq. 17


def dc(dc0: float, temp: float, rain: float, month: int) -> float:
    """Drought Code of today from yesterday's (eq. 18-23)."""
    d = dc0
    if rain > 2.8:
        rd = 0.83 * rain - 1.27  # eq. 18
        qo = 800.0 * math.exp(-dc0 / 400.0)  # eq. 19
        qr = qo + 3.937 * rd  # eq. 20
        d = max(400.0 * math.log(800.0 / qr), 0.0)  # eq. 21
    t = max(temp, -2.8)
    v = max(0.36 * (t + 2.8) + DC_DAY_LENGTH[month - 1], 0.0)  # eq. 22
    return d + 0.5 * v  # eq. 23


def isi(ffmc_today: float, wind: float) -> float:
    """Initial Spread Index (eq. 24-26)."""
    fw = math.exp(0.05039 * wind)  # eq. 24
    m = FFMC_K * (101.0 - ffmc_today) / (59.5 + ffmc_today)
    ff = 91.9 * math.exp(-0.1386 * m) * (1.0 + m ** 5.31 / 4.93e7)  # eq. 25
    return 0.208 * fw * ff  # eq. 26


def bui(dmc_today: float, dc_today: float) -> float:
    """Buildup Index (eq. 27a, 27b)."""
    if dmc_today == 0.0 and dc_today == 0.0:
        return 0.0
    if dmc_today <= 0.4 * dc_today:
        u = 0.8 * dmc_today * dc_today / (dmc_today + 0.4 * dc_today)
    else:
        u = dmc_today - (1.0 - 0.8 * dc_today / (dmc_today + 0.4 * dc_today)) * (
            0.92 + (0.0114 * dmc_today) ** 1.7)
    return max(u, 0.0)


def fwi(isi_today: float, bui_today: float) -> float:
    """Fire Weather Index (eq. 28-30)."""
    if bui_today <= 80.0:
        fd = 0.626 * bui_today ** 0.809 + 2.0  # eq. 28a
    else:
        fd = 1000.0 / (25.0 + 108.64 * math.exp(-0.023 * bui_today))  # eq. 28b
    b = 0.1 * isi_today * fd  # eq. 29
    if b > 1.0:
        return math.exp(2.72 * (0.434 * math.log(b)) ** 0.647)  # eq. 30a
    return b  # eq. 30b


def dsr(fwi_today: float) -> float:
    """Daily Severity Rating (Van Wagner 1970; eq. 31)."""
    return 0.0272 * fwi_today ** 1.77


@dataclass(frozen=True)
class Codes:
    ffmc: float
    dmc: float
    dc: float
    isi: float
    bui: float
    fwi: float
    dsr: float


def step(prev: tuple[float, float, float], temp: float, rh: float, wind: float, rain: float,
         month: int) -> Codes:
    """One day of the system: yesterday's (FFMC, DMC, DC) and today's noon weather."""
    f = ffmc(prev[0], temp, rh, wind, rain)
    p = dmc(prev[1], temp, rh, rain, month)
    d = dc(prev[2], temp, rain, month)
    r = isi(f, wind)
    u = bui(p, d)
    s = fwi(r, u)
    return Codes(f, p, d, r, u, s, dsr(s))


@dataclass(frozen=True)
class Day:
    """One station-day of the computed series. ``codes`` is None on a day without a complete
    observation (no rating); ``started_on`` is the day the codes were last (re)started."""

    obs_date: date
    codes: Codes | None
    started_on: date | None
    restarted: bool  # the codes started from the start-up values on this day


def fwi_series(days: Iterable[tuple[date, float | None, float | None, float | None,
                                    float | None]],
               max_gap_days: int = MAX_GAP_DAYS,
               start: tuple[float, float, float] = (FFMC_START, DMC_START, DC_START)
               ) -> list[Day]:
    """The FWI System over one station's days (date, temp, rh, wind, rain), in date order.

    A day with any input missing gives ``Day(codes=None)``; so does every calendar day missing
    from ``days`` between the first and the last (the result has one row per calendar day).
    Codes carry across at most ``max_gap_days`` unobserved days and restart after more."""
    rows = sorted(days, key=lambda r: r[0])
    out: list[Day] = []
    prev: tuple[float, float, float] | None = None
    last_obs: date | None = None
    started: date | None = None
    for i, (d, temp, rh, wind, rain) in enumerate(rows):
        if i and d == rows[i - 1][0]:
            raise ValueError(f"two observations for {d}")
        if out:  # calendar days absent from the input: no observation, no rating
            gap_day = out[-1].obs_date.toordinal() + 1
            while gap_day < d.toordinal():
                out.append(Day(date.fromordinal(gap_day), None, started, False))
                gap_day += 1
        if any(v is None or (isinstance(v, float) and math.isnan(v))
               for v in (temp, rh, wind, rain)):
            out.append(Day(d, None, started, False))
            continue
        restarted = prev is None or last_obs is None or \
            (d.toordinal() - last_obs.toordinal() - 1) > max_gap_days
        if restarted:
            prev, started = start, d
        codes = step(prev, temp, rh, wind, rain, d.month)
        prev, last_obs = (codes.ffmc, codes.dmc, codes.dc), d
        out.append(Day(d, codes, started, restarted))
    return out
