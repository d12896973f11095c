"""The layout's rules: imports point down the layers declared in pyproject.toml (checked by
import-linter on the real import graph, lazy imports inside functions included), the DAG files
are thin, and no runtime module grows past 600 lines."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNTIME = ("sinkwatch", "ingestion", "expectations", "dashboards", "monitoring", "ledger",
           "reporting", "sample_data", "orchestration", "bench", "dags", "scripts")
MAX_LINES = 600


def test_imports_point_down_the_layers():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "0 broken" in out and "KEPT" in out, out[-4000:]


def test_the_ground_package_imports_nothing_of_ours():
    ours = {p.name for p in REPO.iterdir() if (p / "__init__.py").exists()} - {"sinkwatch"}
    for f in (REPO / "sinkwatch").rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in ours, f"{f.relative_to(REPO)} imports {name}"


def test_dag_files_call_orchestration_only():
    allowed = {"__future__", "airflow", "pendulum", "datetime", "orchestration"}
    for f in sorted((REPO / "dags").glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"dags/{f.name} imports {name}"


def test_no_runtime_module_over_600_lines():
    long = []
    for top in RUNTIME:
        for f in (REPO / top).rglob("*.py") if (REPO / top).is_dir() else []:
            n = len(f.read_text(encoding="utf-8").splitlines())
            if n > MAX_LINES:
                long.append(f"{f.relative_to(REPO)} ({n} lines)")
    assert not long, "split by concern: " + ", ".join(long)


def _layout_sections() -> dict[str, str]:
    """The README's Layout tree, cut into one text per top-level entry (``name/`` at column 0)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    tree = block.split("```")[3]  # the second fenced block: the tree
    sections: dict[str, str] = {}
    current = ""
    for line in tree.splitlines():
        if line[:1] not in ("", " ", "├", "└", "│") and "/" in line.split()[0]:
            current = line.split()[0].split("/")[0]
        sections[current] = sections.get(current, "") + line + "\n"
    return sections


def test_the_readme_layout_names_every_runtime_module():
    """Every module of the runtime packages is named, as ``file.py``, in its package's part of
    the README's Layout tree (so a newcomer finds it, and the tree cannot drift unnoticed)."""
    sections = _layout_sections()
    missing = []
    for top in RUNTIME:
        for f in sorted((REPO / top).rglob("*.py")) if (REPO / top).is_dir() else []:
            rel = f.relative_to(REPO)
            if f.name == "__init__.py" or "migrations" in rel.parts or "__pycache__" in rel.parts:
                continue
            text = sections.get(top, "")
            if not re.search(rf"(?<![\w.]){re.escape(f.name)}(?![\w])", text):
                missing.append(str(rel))
    assert not missing, "not in README's Layout tree: " + ", ".join(missing)
