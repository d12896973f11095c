"""The FWI System (monitoring.fire_weather) against the published standard test data, and its
rules for missing days."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from monitoring import fire_weather as fw

REFERENCE = Path(__file__).parent / "fixtures" / "fwi" / "wang2015_standard_test.csv"
COMPONENTS = ("ffmc", "dmc", "dc", "isi", "bui", "fwi")


def _reference() -> list[dict]:
    with REFERENCE.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _days(rows: list[dict]) -> list[tuple]:
    return [(date(1985, int(r["month"]), int(r["day"])), float(r["temp_c"]), float(r["rh_pct"]),
             float(r["wind_kmh"]), float(r["rain_mm"])) for r in rows]


def test_standard_test_data_to_a_tenth():
    rows = _reference()
    assert len(rows) == 49
    out = fw.fwi_series(_days(rows))
    assert [d.obs_date for d in out] == [d[0] for d in _days(rows)]
    worst = {k: 0.0 for k in COMPONENTS}
    for ref, day in zip(rows, out, strict=True):
        for k in COMPONENTS:
            worst[k] = max(worst[k], abs(getattr(day.codes, k) - float(ref[k])))
    assert all(v <= 0.1 for v in worst.values()), worst
    assert out[0].restarted and not any(d.restarted for d in out[1:])


def test_rain_of_half_a_millimetre_or_less_does_not_wet_the_ffmc():
    # Van Wagner 1987 eq. 2: the rain phase needs more than 0.5 mm (the test data's 18 April)
    dry = fw.ffmc(90.0, 15.0, 40.0, 10.0, 0.0)
    assert fw.ffmc(90.0, 15.0, 40.0, 10.0, 0.4) == dry
    assert fw.ffmc(90.0, 15.0, 40.0, 10.0, 2.0) < dry


def test_cold_days_do_not_lower_the_dc_or_dmc():
    # eq. 22: temperature floor -2.8 °C and V >= 0; eq. 16: floor -1.1 °C
    assert fw.dc(100.0, -15.0, 0.0, 3) == 100.0
    assert fw.dmc(20.0, -15.0, 60.0, 0.0, 3) == 20.0


def test_bui_and_fwi_edges():
    assert fw.bui(0.0, 0.0) == 0.0
    assert fw.fwi(0.0, 10.0) == 0.0
    assert fw.fwi(10.0, 100.0) > fw.fwi(10.0, 50.0)


def _series(start: date, n: int, skip: set[int] = frozenset(), none: set[int] = frozenset()):
    out = []
    for i in range(n):
        if i in skip:
            continue
        rain = None if i in none else 0.0
        out.append((start + timedelta(days=i), 20.0, 30.0, 15.0, rain))
    return out


def test_missing_days_get_no_rating_and_short_gaps_carry_the_codes():
    start = date(2025, 4, 1)
    # day 3 absent from the input, day 4 without rain observation: a 2-day gap
    out = fw.fwi_series(_series(start, 8, skip={3}, none={4}))
    assert [d.obs_date for d in out] == [start + timedelta(days=i) for i in range(8)]
    assert [d.codes is None for d in out] == [False, False, False, True, True, False, False,
                                              False]
    assert [d.restarted for d in out] == [True] + [False] * 7
    assert all(d.started_on == start for d in out)
    # carried, not updated: day 5 continues from day 2's codes, not from the start-up values
    uninterrupted = fw.fwi_series(_series(start, 3))[-1].codes
    expected = fw.step((uninterrupted.ffmc, uninterrupted.dmc, uninterrupted.dc),
                       20.0, 30.0, 15.0, 0.0, 4)
    assert out[5].codes == expected


def test_a_gap_longer_than_the_limit_restarts_the_codes():
    start = date(2025, 4, 1)
    out = fw.fwi_series(_series(start, 10, skip={2, 3, 4, 5}))  # 4 days missing
    assert out[6].restarted and out[6].started_on == start + timedelta(days=6)
    fresh = fw.fwi_series(_series(start + timedelta(days=6), 1))[0].codes
    assert out[6].codes == fresh
    # the same gap with a limit of 4 carries on
    assert not fw.fwi_series(_series(start, 10, skip={2, 3, 4, 5}), max_gap_days=4)[6].restarted


def test_two_observations_for_one_day_are_an_error():
    day = (date(2025, 4, 1), 20.0, 30.0, 15.0, 0.0)
    with pytest.raises(ValueError):
        fw.fwi_series([day, day])
