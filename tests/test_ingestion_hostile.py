"""Hostile and broken uploads (issue 18 item 4): each refused or read with a clear error naming
the file, nothing lost (archived as received, a receipt, every counted row in quarantine), and
the published warehouse untouched: zip members with ``..`` or absolute paths, zip bombs, symbolic
links in landing/, files still being written (``.part`` names, ready markers, the settle check),
empty and header-only files, UTF-16 text, a 50 MB single line, invalid polygons, a truncated
workbook."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
import zipfile

import pandas as pd
import pytest

from ingestion.loader import ingest_family
from tests.conftest import write
from tests.test_ingestion_formats import _identity, _quarantine, _receipts

PESTS = ("报告编号,县区代码,报告日期,有害生物,发生面积(亩),危害程度\n"
         "R1,150222,2024-05-01,美国白蛾,2,轻度\nR2,150222,2024-05-02,美国白蛾,3,中度\n")
FIRMS_HEAD = ("latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,"
              "confidence,version,bright_t31,frp,daynight,type\n")
FIRMS_ROW = "41.01,110.01,320.5,1.0,1.0,2024-04-01,0312,Terra,MODIS,80,6.1NRT,290.1,12.3,D,0\n"


def _archived(home, row) -> bytes:
    return (home.home / row.archive_path).read_bytes()


def _file_level(home, family):
    q = _quarantine(home, family)
    return q[q["row_number"].isna()]


# --- zip archives ------------------------------------------------------------------------------


def _zip(path, members: dict[str, bytes], symlink: str | None = None) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_zip_members_with_dotdot_absolute_paths_or_links_are_refused(home, tmp_path):
    land = home.landing_for("fire_hotspots")
    body = (FIRMS_HEAD + FIRMS_ROW).encode()
    sent = {
        "a_dotdot.zip": _zip(land / "a_dotdot.zip", {"ok.csv": body, "../../../evil.csv": body}),
        "b_absolute.zip": _zip(land / "b_absolute.zip", {"/tmp/evil_abs.csv": body}),
        "c_windows.zip": _zip(land / "c_windows.zip", {"..\\..\\evil_win.csv": body}),
        "d_link.zip": _zip(land / "d_link.zip", {"ok.csv": body}, symlink="passwd.csv"),
    }
    rows = {r.file_name: r for r in ingest_family("fire_hotspots", home, gate=False)}
    assert set(rows) == set(sent)
    for name, r in rows.items():
        assert r.status == "unsafe_archive", (name, r.status, r.error)
        assert r.error.startswith(f"{name}: member "), r.error
        assert _archived(home, r) == sent[name]  # kept as received
    assert "climbs out of the archive with '..'" in rows["a_dotdot.zip"].error
    assert "'/tmp/evil_abs.csv'" in rows["b_absolute.zip"].error
    assert "is a symbolic link" in rows["d_link.zip"].error
    _identity(rows.values())
    assert not [p for p in tmp_path.parent.rglob("evil*.csv")]  # nothing written outside
    assert not list(home.raw.glob("fire_hotspots/[!_]*.parquet"))
    assert set(_file_level(home, "fire_hotspots")["reason_code"]) == {"unsafe_archive"}
    assert list(_receipts(home, "fire_hotspots")["outcome"]) == ["ingested"] * 4
    assert not list(land.iterdir())


def test_zip_bomb_is_refused_by_ratio_and_expanded_size(home, monkeypatch):
    land = home.landing_for("parcels")
    zeros = b"0" * (30 << 20)  # 30 MB that deflate to ~30 KB: ratio ~1000:1
    sent = _zip(land / "bomb.zip", {"xiaoban.geojson": zeros})
    [row] = ingest_family("parcels", home, gate=False)
    assert row.status == "unsafe_archive"
    assert row.error.startswith("bomb.zip: member 'xiaoban.geojson' expands ")
    assert "SINKWATCH_MAX_ZIP_RATIO" in row.error and "a zip bomb?" in row.error
    assert _archived(home, row) == sent
    # the limits are configuration: a higher ratio, then the expanded size stops it
    monkeypatch.setenv("SINKWATCH_MAX_ZIP_RATIO", "100000")
    monkeypatch.setenv("SINKWATCH_MAX_EXPANDED_BYTES", str(10 << 20))
    _zip(land / "bomb2.zip", {"xiaoban.geojson": zeros, "readme.txt": b"x"})
    [row2] = ingest_family("parcels", home, gate=False)
    assert row2.status == "unsafe_archive"
    assert "expands to 31,457,281 bytes (limit 10,485,760, SINKWATCH_MAX_EXPANDED_BYTES)" \
        in row2.error
    _identity([row, row2])
    assert not [p for p in home.home.rglob("xiaoban.geojson")]  # never extracted


def test_a_zip_with_too_many_members_is_refused(home, monkeypatch):
    monkeypatch.setenv("SINKWATCH_MAX_ZIP_MEMBERS", "3")
    land = home.landing_for("parcels")
    sent = _zip(land / "many.zip", {f"part_{i}.geojson": b"{}" for i in range(4)})
    [row] = ingest_family("parcels", home, gate=False)
    assert row.status == "unsafe_archive"
    assert row.error == ("many.zip: 4 members (limit 3, SINKWATCH_MAX_ZIP_MEMBERS): "
                         "the archive is refused")
    assert _archived(home, row) == sent
    _identity([row])
    assert not [p for p in home.home.rglob("part_0.geojson")]  # never extracted


def test_symlinks_in_landing_are_not_followed(home, tmp_path):
    outside = write(tmp_path / "outside" / "secret.csv", PESTS)
    (tmp_path / "outside_dir").mkdir()
    write(tmp_path / "outside_dir" / "more.csv", PESTS)
    land = home.landing_for("pest_reports")
    land.mkdir(parents=True)
    (land / "link.csv").symlink_to(outside)
    (land / "linked_folder").symlink_to(tmp_path / "outside_dir", target_is_directory=True)
    (land / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    assert ingest_family("pest_reports", home, gate=False) == []  # nothing read
    r = _receipts(home, "pest_reports").set_index("file_name")
    assert set(r.index) == {"link.csv", "linked_folder", "dangling.csv"}
    assert set(r["outcome"]) == {"refused"} and r["sha256"].isna().all()
    assert r.loc["link.csv", "detail"] == (
        f"link.csv: a symbolic link (to {str(outside)!r}); links in landing/ are not followed: "
        "upload the file itself")
    for name in r.index:  # the links themselves are kept, as links, in the archive
        kept = home.home / r.loc[name, "archive_path"]
        assert kept.is_symlink() and kept.name.endswith(name)
    assert outside.read_text() == PESTS and (tmp_path / "outside_dir" / "more.csv").exists()
    assert not list(land.iterdir())
    assert not (home.manifest / "pest_reports").exists() or \
        not list((home.manifest / "pest_reports").glob("*.parquet"))


# --- files still being written -----------------------------------------------------------------


def test_part_files_wait_until_renamed(home):
    land = home.landing_for("pest_reports")
    write(land / "reports.csv.part", PESTS[: len(PESTS) // 2])
    write(land / "~$reports.xlsx", "lock")
    assert ingest_family("pest_reports", home, gate=False) == []
    assert (land / "reports.csv.part").exists() and not (home.receipts / "pest_reports").exists()
    write(land / "reports.csv.part", PESTS)  # the upload finishes, then renames
    (land / "reports.csv.part").rename(land / "reports.csv")
    [row] = ingest_family("pest_reports", home, gate=False)
    assert (row.file_name, row.rows_received, row.rows_accepted) == ("reports.csv", 2, 2)
    assert sorted(p.name for p in land.iterdir()) == ["~$reports.xlsx"]


def test_ready_markers_and_required_markers(home, monkeypatch):
    land = home.landing_for("pest_reports")
    monkeypatch.setenv("SINKWATCH_REQUIRE_READY", "1")
    write(land / "a_unmarked.csv", PESTS)
    write(land / "b_marked.csv", PESTS.replace("R1", "R3").replace("R2", "R4"))
    write(land / "b_marked.csv.ready", "")
    write(land / "station7" / "c.csv", PESTS.replace("R1", "R5").replace("R2", "R6"))
    write(land / "station7" / "READY", "")
    rows = ingest_family("pest_reports", home, gate=False)
    assert sorted(r.file_name for r in rows) == ["b_marked.csv", "c.csv"]
    assert sorted(str(p.relative_to(land)) for p in land.rglob("*")) == ["a_unmarked.csv"]
    r = _receipts(home, "pest_reports")
    assert sorted(r["landing_path"]) == ["landing/pest_reports/b_marked.csv",
                                         "landing/pest_reports/station7/c.csv"]
    monkeypatch.delenv("SINKWATCH_REQUIRE_READY")
    [row] = ingest_family("pest_reports", home, gate=False)
    assert row.file_name == "a_unmarked.csv"


def test_a_file_still_being_written_is_never_ingested_half(home, monkeypatch):
    """A station writes rows for 1.5 s; the ingest that runs meanwhile leaves the file alone
    (its size moves within SINKWATCH_SETTLE_SECONDS); the next one takes it whole."""
    monkeypatch.setenv("SINKWATCH_SETTLE_SECONDS", "0.6")
    land = home.landing_for("pest_reports")
    land.mkdir(parents=True)
    path = land / "growing.csv"
    head, n_rows = "report_id,county_code,report_date,pest,affected_area_mu,severity\n", 30

    def station():
        with path.open("w", encoding="utf-8") as fh:
            fh.write(head)
            for i in range(n_rows):
                fh.write(f"G{i},150222,2024-05-01,fall_webworm,{i + 1},light\n")
                fh.flush()
                time.sleep(0.05)

    writer = threading.Thread(target=station)
    writer.start()
    time.sleep(0.2)
    try:
        assert ingest_family("pest_reports", home, gate=False) == []
        assert path.exists() and not (home.receipts / "pest_reports").exists()
    finally:
        writer.join()
    t0 = time.monotonic()
    [row] = ingest_family("pest_reports", home, gate=False)  # waits for the file to settle
    assert time.monotonic() - t0 < 5
    assert (row.rows_received, row.rows_accepted) == (n_rows, n_rows)
    assert _archived(home, row) == (head + "".join(
        f"G{i},150222,2024-05-01,fall_webworm,{i + 1},light\n" for i in range(n_rows))).encode()


def test_a_file_changed_during_the_copy_is_left_for_the_next_run(home, monkeypatch):
    from ingestion import landing, loader, receiving

    land = home.landing_for("pest_reports")
    src = write(land / "r.csv", PESTS)
    real_fdopen = os.fdopen

    def fdopen(fd, *args, **kwargs):  # the station appends while the loader copies
        with src.open("a", encoding="utf-8") as fh:
            fh.write("R9,150222,2024-05-09,美国白蛾,1,轻度\n")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(receiving.os, "fdopen", fdopen)
    assert loader.ingest_upload(loader.FAMILIES["pest_reports"], landing.Upload("r.csv", [src]),
                                home, "run") is None
    assert src.exists() and not (home.manifest / "pest_reports").exists()
    assert not list((home.warehouse / ".staging").glob("*"))


# --- text that is not what it seems -------------------------------------------------------------


def test_empty_blank_and_header_only_files(home):
    land = home.landing_for("pest_reports")
    write(land / "a_empty.csv", "")
    write(land / "b_blank.csv", " \r\n\r\n ")
    write(land / "c_bom_only.csv", "\ufeff")
    write(land / "d_header_only.csv", "report_id,county_code,report_date\n")
    write(land / "e_header_only.tsv", "报告编号\t县区代码\n\n\n", encoding="gb18030")
    rows = {r.file_name: r for r in ingest_family("pest_reports", home, gate=False)}
    assert {k: r.status for k, r in rows.items()} == dict.fromkeys(rows, "empty")
    assert len(rows) == 5
    for name, r in rows.items():
        assert r.error.startswith(f"{name}: "), r.error
        assert (r.rows_received, r.rows_quarantined) == (0, 0)
        assert (home.home / r.archive_path).exists()
    assert len(_file_level(home, "pest_reports")) == 5
    assert len(_receipts(home, "pest_reports")) == 5


def test_utf16_text_is_read_or_refused_clearly(home):
    """Excel's "Unicode text" export is UTF-16LE with a BOM, tab-separated: read. Without a BOM:
    read too. Vegetation indices (streamed as UTF-8): refused with what to do."""
    land = home.landing_for("pest_reports")
    tsv = PESTS.replace(",", "\t")
    (land / "a_unicode.txt").parent.mkdir(parents=True, exist_ok=True)
    (land / "a_unicode.txt").write_bytes(tsv.encode("utf-16"))
    (land / "b_nobom.csv").write_bytes(
        PESTS.replace("R1", "R7").replace("R2", "R8").encode("utf-16-le"))
    rows = {r.file_name: r for r in ingest_family("pest_reports", home, gate=False)}
    assert {k: (r.status, r.rows_accepted) for k, r in rows.items()} == {
        "a_unicode.txt": ("loaded", 2), "b_nobom.csv": ("loaded", 2)}
    vi = home.landing_for("vegetation_indices")
    vi.mkdir(parents=True)
    (vi / "ndvi.csv").write_bytes(
        "parcel_id,date,ndvi,quality\nP1,2024-07-01,0.5,0\n".encode("utf-16"))
    [row] = ingest_family("vegetation_indices", home, gate=False)
    assert row.status == "unreadable"
    assert row.error.startswith("ndvi.csv: UTF-16 text") and "CSV UTF-8" in row.error


def test_a_50_mb_single_line_is_refused_with_its_length(home):
    for family in ("pest_reports", "fire_hotspots", "vegetation_indices"):
        land = home.landing_for(family)
        land.mkdir(parents=True, exist_ok=True)
        with (land / "one_line.csv").open("wb") as fh:
            fh.write(b"a," * (25 << 20))
        [row] = ingest_family(family, home, gate=False)
        assert row.status == "unreadable", (family, row.error)
        assert row.error.startswith("one_line.csv: line 1 is "), row.error
        assert "SINKWATCH_MAX_LINE_BYTES" in row.error and len(row.error) < 300
        assert (home.home / row.archive_path).stat().st_size == 50 << 20


# --- geometry and workbooks ---------------------------------------------------------------------


def _feature(pid, rings, kind="Polygon"):
    return {"type": "Feature",
            "properties": {"小班号": pid, "县区代码": "150222", "地类": "林地", "调查年度": 2025},
            "geometry": {"type": kind, "coordinates": rings}}


def test_invalid_and_self_intersecting_polygons(home):
    x, y, d = 110.0, 41.0, 0.005
    square = [[[x, y], [x + 4 * d, y], [x + 4 * d, y + 4 * d], [x, y + 4 * d], [x, y]]]
    bowtie = [[[x, y], [x + 4 * d, y + 4 * d], [x + 4 * d, y], [x, y + 4 * d], [x, y]]]
    # an ESRI-style ring touching itself at one vertex (valid in a shapefile, not in OGC)
    touching = [[[x, y], [x + 4 * d, y], [x + 4 * d, y + 4 * d], [x + 2 * d, y + 4 * d],
                 [x + 3 * d, y + 2 * d], [x + d, y + 2 * d], [x + 2 * d, y + 4 * d],
                 [x, y + 4 * d], [x, y]]]
    overlapping = [square, [[[x + d, y + d], [x + 5 * d, y + d], [x + 5 * d, y + 5 * d],
                             [x + d, y + 5 * d], [x + d, y + d]]]]
    fc = {"type": "FeatureCollection", "features": [
        _feature("150222-F-000001", square), _feature("150222-F-000002", bowtie),
        _feature("150222-F-000003", touching),
        _feature("150222-F-000004", overlapping, "MultiPolygon")]}
    write(home.landing_for("parcels") / "xiaoban.geojson", json.dumps(fc))
    [row] = ingest_family("parcels", home, gate=False)
    assert (row.status, row.rows_received, row.rows_accepted, row.rows_quarantined) == (
        "loaded", 4, 2, 2)
    q = _quarantine(home, "parcels").sort_values("row_number")
    assert list(q["row_number"]) == [2, 4] and set(q["reason_code"]) == {"invalid_geometry"}
    assert q["reason"].iloc[0].startswith(
        "xiaoban.geojson row 2: field geometry_wkt: invalid_geometry: the polygon is not valid "
        "(Self-intersection[")
    assert "fix it in the GIS" in q["reason"].iloc[1]
    assert "1 polygon(s) not valid in the OGC sense" in row.detail
    raw = pd.read_parquet(home.home / row.raw_path).set_index("parcel_id")
    # the repaired ring keeps its area: 16 cells minus the 2-cell triangle it cuts out
    assert raw.loc["150222-F-000003", "area_mu"] == pytest.approx(
        raw.loc["150222-F-000001", "area_mu"] * 14 / 16, rel=1e-3)


def test_truncated_workbook(home):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for line in PESTS.splitlines():
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()[: len(buf.getvalue()) // 2]
    land = home.landing_for("pest_reports")
    land.mkdir(parents=True)
    (land / "half.xlsx").write_bytes(data)
    [row] = ingest_family("pest_reports", home, gate=False)
    assert row.status == "unreadable"
    assert row.error.startswith("half.xlsx: not a readable .xlsx workbook")
    assert _archived(home, row) == data
    assert hashlib.sha256(data).hexdigest() == row.sha256


# --- the published warehouse ------------------------------------------------------------------


@pytest.mark.slow
def test_hostile_uploads_leave_the_published_warehouse_untouched(home, tmp_path):
    """Publish once; then a night of hostile uploads in every family folder is ingested: each
    gets its error and its receipt, and the published file keeps every byte."""
    from orchestration import pipeline
    from sample_data import generate
    from sinkwatch.contracts import INGEST_ORDER

    generate(home.landing, scale="small")
    pipeline.ingest(INGEST_ORDER, run_id="good", gate=False, p=home)
    pipeline.build("good", p=home)
    published = pipeline.publish("good", p=home)
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    raw_before = sorted(p.name for p in home.raw.rglob("*.parquet"))

    body = (FIRMS_HEAD + FIRMS_ROW).encode()
    _zip(home.landing_for("fire_hotspots") / "traversal.zip", {"../../../evil.csv": body})
    _zip(home.landing_for("parcels") / "bomb.zip", {"x.geojson": b"0" * (30 << 20)})
    outside = write(tmp_path / "elsewhere" / "secret.csv", PESTS)
    (home.landing_for("pest_reports") / "link.csv").symlink_to(outside)
    write(home.landing_for("pest_reports") / "late.csv.part", PESTS)
    write(home.landing_for("fire_reports") / "empty.csv", "")
    write(home.landing_for("fire_reports") / "header_only.csv", "report_id,county_code\n")
    with (home.landing_for("demo_forests") / "one_line.csv").open("wb") as fh:
        fh.write(b"a," * (25 << 20))
    (home.landing_for("wetland_surveys") / "half.xlsx").write_bytes(b"PK\x03\x04\x14\x00")
    (home.landing_for("vegetation_indices") / "u16.csv").write_bytes(
        "parcel_id,date,ndvi,quality\n".encode("utf-16"))

    rows = pipeline.ingest(INGEST_ORDER, run_id="hostile", p=home)
    assert {r.file_name: r.status for r in rows} == {
        "traversal.zip": "unsafe_archive", "bomb.zip": "unsafe_archive",
        "empty.csv": "empty", "header_only.csv": "empty", "one_line.csv": "unreadable",
        "half.xlsx": "unreadable", "u16.csv": "unreadable"}
    for r in rows:
        assert r.error.startswith(f"{r.file_name}: "), r.error
        assert (home.home / r.archive_path).exists()
        assert r.rows_received == r.rows_accepted + r.rows_quarantined and not r.rows_accepted
    refused = _receipts(home, "pest_reports").query("outcome == 'refused'")
    assert list(refused["file_name"]) == ["link.csv"]
    assert (home.landing_for("pest_reports") / "late.csv.part").exists()
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in home.raw.rglob("*.parquet")) == raw_before
    assert not [p for p in tmp_path.rglob("evil.csv")]
