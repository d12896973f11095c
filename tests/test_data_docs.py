"""The GX Data Docs work offline (issue #18, item 2): pages rendered by the gate reference no
resource on another host, carry no script, link nowhere outside, and the index lists the results
as a plain HTML table whose rows open the result pages. Data Docs rendered before the offline
views (CDN links) are rendered again, once, by the next build.

GX is imported once per module (~10-15 s); each validation then takes about a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_gates import forest_plots

# Anything the browser would fetch from another host: src/href/srcset/poster/data/action
# attributes, CSS url(...) and @import, protocol-relative (//host) included.
RESOURCE = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data|action|formaction)\s*=\s*["']?\s*"""
    r"""|url\(\s*["']?\s*|@import\s+(?:url\(\s*)?["']?\s*)(?:[a-z][a-z0-9+.-]*:)?//""",
    re.IGNORECASE,
)
ANY_URL = re.compile(r"https?://[^\s\"'<>)]+", re.IGNORECASE)
# the SVG/XHTML namespace names are identifiers, not requests
NAMESPACES = ("http://www.w3.org/",)


def offline_problems(html: str) -> list[str]:
    """Why a page is not self-contained: external references, scripts, outbound links."""
    problems = [f"external reference: {html[m.start():m.start() + 90]!r}"
                for m in RESOURCE.finditer(html)]
    problems += [f"URL: {u}" for u in ANY_URL.findall(html) if not u.startswith(NAMESPACES)]
    if re.search(r"<script\b", html, re.IGNORECASE):
        problems.append("a <script> element")
    return problems


def test_offline_problems_catches_what_gx_renders_by_default() -> None:
    # the checker itself: each of GX 1.24's stock references is caught
    for snippet in (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap.min.css"/>',
        "<script src='https://code.jquery.com/jquery-3.7.1.min.js'></script>",
        '<img src="//great-expectations-web-assets.s3.amazonaws.com/logo-long.png">',
        "a { background: url('https://great-expectations-web-assets.s3/x.png') }",
        '<style>@import "https://fonts.example/x.css";</style>',
        '<a href="https://greatexpectations.io">GX</a>',
    ):
        assert offline_problems(snippet), snippet
    assert offline_problems('<svg xmlns="http://www.w3.org/2000/svg"></svg>') == []
    assert offline_problems('<a href="validations/x.html">x</a>') == []


@pytest.fixture(scope="module")
def gates():
    from expectations import gates as module

    module.import_gx()
    return module


@pytest.fixture
def docs(gates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Data Docs of a passing and a failing batch under a fresh SINKWATCH_HOME."""
    monkeypatch.setenv("SINKWATCH_HOME", str(tmp_path / "home"))
    assert gates.validate_frame("forest_plots", forest_plots(), "plots_ok.csv").passed
    bad = forest_plots()
    bad.loc[0, "dbh_cm"] = 310.0
    assert not gates.validate_frame("forest_plots", bad, "plots_bad.csv").passed
    return gates.data_docs_dir()


def test_generated_pages_reference_nothing_outside(docs: Path) -> None:
    pages = sorted(docs.rglob("*.html"))
    kinds = {p.relative_to(docs).parts[0] for p in pages}
    assert kinds == {"index.html", "validations", "expectations"}, kinds
    assert len([p for p in pages if p.parts[-4:-3] == ("raw__forest_plots",)]) == 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert offline_problems(html) == [], page
        assert 'content="sinkwatch-offline-data-docs"' in html, page
    # every local reference of every page resolves inside the Data Docs
    for page in pages:
        for ref in re.findall(r'(?:src|href)="([^"#?]+)', page.read_text(encoding="utf-8")):
            assert (page.parent / ref).resolve().is_file(), (page, ref)


def test_index_lists_results_in_plain_html_newest_first(docs: Path) -> None:
    html = (docs / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="sw-row-link" href="([^"]+)"', html)
    # one link per cell: each row's target, in row order (validation results, then the suites)
    targets = [t for t in dict.fromkeys(links) if t.startswith("validations/")]
    assert len(targets) == 2
    assert "plots_bad.csv" in targets[0] and "plots_ok.csv" in targets[1]  # newest first
    for t in targets:
        assert (docs / t).is_file(), t
    assert "fa-times" in html and "fa-check-circle" in html  # the status icons (CSS glyphs)


def test_online_docs_from_before_are_rendered_again(gates, docs: Path) -> None:
    """A home whose Data Docs were rendered by GX's stock (CDN) templates gets every page
    rendered again by the next build, even an incremental one."""
    index = docs / "index.html"
    old_page = next((docs / "validations").rglob("*.html"))
    stock = '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap.min.css"/>'
    index.write_text(f"<html><head>{stock}</head></html>", encoding="utf-8")
    old_page.write_text(f"<html><head>{stock}</head></html>", encoding="utf-8")
    assert not gates.docs_are_offline()
    gates.build_data_docs(["no-such-run"])  # incremental, for a run with no results
    assert gates.docs_are_offline()
    for page in (index, old_page):
        assert offline_problems(page.read_text(encoding="utf-8")) == [], page
