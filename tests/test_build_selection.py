"""Which models an incremental build selects (orchestration.pipeline.selection): the ones downstream
of the raw families whose files changed since the published build, plus the run's bookkeeping;
every node when the published build's inputs are unknown or the dbt code changed."""

from __future__ import annotations

from orchestration import pipeline


def _inputs(**families: str) -> dict[str, str]:
    return {"__code__": "c1", "parcels": "p1", "vegetation_indices": "v1",
            "fire_hotspots": "h1"} | families


def test_only_changed_families_and_the_bookkeeping():
    published = _inputs()
    current = _inputs(vegetation_indices="v2", fire_hotspots="h2")
    assert pipeline.selection(current, published) == [
        "source:raw_disturbance.fire_hotspots+",
        "source:raw_remote_sensing.vegetation_indices+",
        pipeline.EVERY_RUN,
    ]


def test_a_family_seen_for_the_first_time_is_selected():
    published = _inputs()
    current = _inputs(pest_reports="r1")
    assert pipeline.selection(current, published) == [
        "source:raw_disturbance.pest_reports+", pipeline.EVERY_RUN]


def test_nothing_new_rebuilds_the_bookkeeping_only():
    assert pipeline.selection(_inputs(), _inputs()) == [pipeline.EVERY_RUN]


def test_changed_code_or_unknown_published_inputs_build_everything():
    assert pipeline.selection(_inputs(__code__="c2", parcels="p2"), _inputs()) is None
    assert pipeline.selection(_inputs(), None) is None


def test_every_raw_family_has_a_dbt_source():
    from sinkwatch.contracts import FAMILIES

    assert set(FAMILIES) <= set(pipeline._family_sources())


def test_code_fingerprint_follows_the_project_files(tmp_path, monkeypatch):
    proj = tmp_path / "dbt"
    (proj / "models").mkdir(parents=True)
    (proj / "models" / "m.sql").write_text("select 1")
    (proj / "target").mkdir()
    monkeypatch.setattr(pipeline, "DBT_PROJECT_DIR", proj)
    a = pipeline._code_fingerprint()
    (proj / "target" / "manifest.json").write_text("{}")  # build output: not code
    assert pipeline._code_fingerprint() == a
    (proj / "models" / "m.sql").write_text("select 2")
    assert pipeline._code_fingerprint() != a
