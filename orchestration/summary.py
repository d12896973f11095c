"""Print where the published marts and the dashboard are, with row counts (end of `make demo`)."""

from __future__ import annotations

import duckdb

from sinkwatch.config import paths

MARTS = ("fct_carbon_stock", "fct_annual_sink", "fct_target_progress", "dim_zones",
         "dim_counties", "ops_ingestion_manifest")


def main() -> int:
    p = paths()
    if not p.published.exists():
        print(f"no published warehouse at {p.published}")
        return 1
    con = duckdb.connect(str(p.published), read_only=True)
    try:
        run_id, as_of = con.execute("select run_id, data_as_of from meta_run").fetchone()
        counts = {m: con.execute(f"select count(*) from {m}").fetchone()[0] for m in MARTS}
        files = con.execute(
            "select count(*), sum(rows_read), sum(rows_accepted), sum(rows_quarantined) "
            "from ops_ingestion_manifest").fetchone()
        fire = _fire_marts(con)
    finally:
        con.close()
    print()
    print(f"published marts : {p.published}   (run {run_id}, data as of {as_of})")
    for m, n in counts.items():
        print(f"    {m:24s} {n:>8,d} rows")
    print(f"ingested files  : {files[0]} files, {files[1]:,} rows read = {files[2]:,} accepted "
          f"+ {files[3]:,} quarantined")
    _print_alerts()
    _print_fire(fire)
    print(f"dashboard       : {p.site / 'index.html'}")
    print(f"query it        : duckdb -readonly {p.published}   "
          f"(or python: duckdb.connect(path, read_only=True))")
    return 0


def _print_alerts() -> None:
    """The alert store's alerts by type and severity, and the titles of the most severe."""
    import sqlalchemy as sa

    from monitoring import store

    try:
        with store.engine().connect() as con:
            rows = con.execute(sa.select(store.alerts.c.alert_type, store.alerts.c.severity,
                                         store.alerts.c.title)).all()
    except sa.exc.SQLAlchemyError as exc:  # the summary never fails the demo
        print(f"alert store     : not readable ({exc.__class__.__name__})")
        return
    by_type: dict[str, list] = {}
    for r in rows:
        by_type.setdefault(r.alert_type, []).append(r)
    print(f"alert store     : {len(rows)} alerts ({store.default_url()})")
    for t, rs in sorted(by_type.items()):
        counts = ", ".join(f"{sum(r.severity == s for r in rs)} {s}"
                           for s in reversed(store.SEVERITIES) if any(r.severity == s for r in rs))
        print(f"    {t:24s} {counts}")
        top = sorted(rs, key=lambda r: (-store.SEVERITY_RANK[r.severity], r.title))[:3]
        for r in top:
            print(f"        [{r.severity}] {r.title}")


def _fire_marts(con: duckdb.DuckDBPyConnection) -> dict | None:
    """Fire events, static sources and fct_alerts of the published marts (issue #14)."""
    try:
        return {
            "events": dict(con.execute(
                "select status, count(*) from fct_fire_events group by all order by all"
            ).fetchall()),
            "static": con.execute(
                "select count(*), sum(n_detections) from fct_static_heat_sources").fetchone(),
            "types": dict(con.execute(
                "select alert_type, count(*) from fct_alerts group by all order by all"
            ).fetchall()),
            "fire_alerts": con.execute(
                "select alert_id, severity, state, state_history, title from fct_alerts "
                "where alert_type = 'fire_event' order by first_seen_at, alert_id").fetchall(),
        }
    except duckdb.CatalogException:  # published before the monitoring marts existed
        return None


def _print_fire(fire: dict | None) -> None:
    if fire is None:
        return
    ev, (n_static, n_masked) = fire["events"], fire["static"]
    print(f"fire events     : {sum(ev.values())} ("
          + ", ".join(f"{k} {v}" for k, v in ev.items()) + f"); {n_static} static heat "
          f"sources masking {n_masked or 0:,} detections")
    print(f"fct_alerts      : {sum(fire['types'].values())} alerts ("
          + ", ".join(f"{k} {v}" for k, v in fire["types"].items()) + "); the fire events:")
    for alert_id, severity, state, history, title in fire["fire_alerts"]:
        print(f"    {alert_id:28s} {severity:8s} {state:6s} {history or '':22s} {title}")


if __name__ == "__main__":
    raise SystemExit(main())
