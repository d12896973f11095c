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
        try:
            alerts = con.execute(
                "select alert_id, severity, state, last_change, title from fct_alerts "
                "order by first_seen_at, alert_id").fetchall()
            events = dict(con.execute(
                "select status, count(*) from fct_fire_events group by all").fetchall())
            static = con.execute(
                "select count(*), sum(n_detections) from fct_static_heat_sources").fetchone()
        except duckdb.CatalogException:  # published before the monitoring marts existed
            alerts, events, static = [], {}, (0, 0)
    finally:
        con.close()
    print()
    print(f"published marts : {p.published}   (run {run_id}, data as of {as_of})")
    for m, n in counts.items():
        print(f"    {m:24s} {n:>8,d} rows")
    print(f"ingested files  : {files[0]} files, {files[1]:,} rows read = {files[2]:,} accepted "
          f"+ {files[3]:,} quarantined")
    print(f"fire events     : {sum(events.values())} "
          f"({', '.join(f'{k} {v}' for k, v in sorted(events.items()))}); static heat sources "
          f"{static[0]} masking {static[1] or 0:,} detections")
    print(f"alerts          : {len(alerts)} in fct_alerts")
    for alert_id, severity, state, last_change, title in alerts:
        print(f"    {alert_id:28s} {severity:8s} {state:12s} {last_change or '':10s} {title}")
    print(f"dashboard       : {p.site / 'index.html'}")
    print(f"query it        : duckdb -readonly {p.published}   "
          f"(or python: duckdb.connect(path, read_only=True))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
