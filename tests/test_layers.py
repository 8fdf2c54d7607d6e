"""The house's shape (issue 13, docs/architecture.md): every import runs down the layers,
none runs in a circle, the pure view and the reports load no SDK, and kiosk/ keeps few
loose modules. Read from the source itself (ast), so a new upward import fails here
before anyone reads it.

Layers, bottom up (a module may import its own layer and the ones below):
  0 hardware (frames, geometry, settings, sources, SDK), kiosk.progress, kiosk.palette
  1 hardware.sim (the simulated camera), hardware.recorder, calibration
  2 kiosk.core (the measurement, pure), kiosk.notify
  3 kiosk.analysis, kiosk.sources
  4 kiosk.results
  5 kiosk.app, kiosk.fallback_screen
  6 kiosk.evaluation (accuracy, benchmarks, soak: off the product path)
  7 kiosk.cli (the commands; root.py wires them)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kiosk", "calibration", "hardware")
LAYERS = {
    "hardware": 0, "kiosk.progress": 0, "kiosk.palette": 0,
    "hardware.sim": 1, "hardware.recorder": 1, "calibration": 1,
    "kiosk": 2, "kiosk.core": 2, "kiosk.notify": 2,
    "kiosk.analysis": 3, "kiosk.sources": 3,
    "kiosk.results": 4,
    "kiosk.app": 5, "kiosk.fallback_screen": 5,
    "kiosk.evaluation": 6,
    "kiosk.cli": 7,
}
MAX_LOOSE_MODULES = 6
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
            mods[name.removesuffix(".__init__")] = p
    return mods


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines inside `if TYPE_CHECKING:` blocks: imports for the type checker, never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def _imports(type_checking: bool = False) -> dict[str, set[str]]:
    """module -> the project modules it imports when run (top level or inside functions);
    with `type_checking`, also those it imports for the type checker only."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = defaultdict(set)
    for mod, path in mods.items():
        tree = ast.parse(path.read_text())
        skip = set() if type_checking else _type_checking_lines(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in skip:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif node.module and node.level == 0:
                # `from pkg import sub` loads pkg (its __init__) and pkg.sub
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                names = []
            for n in names:
                target = resolve(n)
                if target is not None and target != mod:
                    edges[mod].add(target)
    return edges


def _layer(mod: str) -> int:
    best = max((k for k in LAYERS if mod == k or mod.startswith(k + ".")), key=len)
    return LAYERS[best]


def test_no_import_runs_up_a_layer() -> None:
    up = sorted(f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})"
                for m, ds in _imports().items() for d in ds if _layer(d) > _layer(m))
    assert up == []


@pytest.mark.parametrize("type_checking", [False, True], ids=["run", "type-checking-too"])
def test_no_import_circle(type_checking: bool) -> None:
    """No circle among the imports that run, nor once the type checker's are counted (two
    modules that need each other's types share a module below both instead)."""
    edges = _imports(type_checking)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan: strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for v in _modules():
        if v not in index:
            visit(v)
    assert circles == []


@pytest.mark.parametrize("module", ["kiosk.app.view", "kiosk.app.config", "kiosk.results.report_athlete",
                                    "kiosk.results.report_team", "kiosk.core"])
def test_the_view_and_the_reports_load_no_sdk(module: str) -> None:
    code = (f"import sys, {module}; "
            "print(sorted(m for m in ('pyrealsense2', 'open3d') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_few_loose_modules_in_kiosk() -> None:
    loose = sorted(p.name for p in (ROOT / "kiosk").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_LOOSE_MODULES, loose


def test_modules_stay_short() -> None:
    grown = []
    for path in _modules().values():
        rel = path.relative_to(ROOT).as_posix()
        n = len(path.read_text().splitlines())
        if n > MAX_LINES:
            grown.append(f"{rel}: {n} lines (limit {MAX_LINES})")
    assert grown == []
