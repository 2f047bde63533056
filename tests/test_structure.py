"""The shape of the package: no import cycles, modules of a readable size, and a wheel that
ships the kiosk (code, fonts, maps, the ``kiosk`` command) and nothing of the test kit; and the
shape of the tests: no test module imports another (shared fixtures live in ``conftest.py``,
shared helpers in ``testkit/``)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kiosk"
MAX_LINES = 450

# Modules allowed past MAX_LINES, each with the reason it is one piece: {"kiosk/x.py": "why"}.
# Keep it empty: a module grows past the limit only with a reason a reviewer agreed to.
LONG_MODULES_ALLOWED: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (packages by their ``__init__``)."""
    return {
        _module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported: those at module level, in
    class bodies and in ``if``/``try``/``with`` blocks, but not in functions (lazy imports) nor
    under ``if TYPE_CHECKING:`` (never run)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.ClassDef):
            yield from _load_time_imports(node.body)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _load_time_imports(node.body)
            yield from _load_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _load_time_imports(block)
            for handler in node.handlers:
                yield from _load_time_imports(handler.body)
        elif isinstance(node, ast.With):
            yield from _load_time_imports(node.body)


def _imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports when it is loaded."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _load_time_imports(tree.body):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            # `from kiosk.ui import theme` imports the module kiosk.ui.theme; `from kiosk.ui.theme
            # import FONTS` imports kiosk.ui.theme for a name in it.
            sub = f"{base}.{alias.name}"
            if sub in known:
                found.add(sub)
            elif base in known:
                found.add(base)
    found.discard(name)
    return found


def _import_graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imported(name, path, known) for name, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (first module repeated at the end) for each group of modules that import each
    other round, found by Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_path_round(graph, group) for group in groups]


def _path_round(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way from the group's first module back to itself, inside the group."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if w not in came_from:
                    came_from[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no way round {sorted(group)}")  # a component always has one


def test_cycle_finder_names_the_modules_round() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_import_reader_resolves_relative_and_from_imports(tmp_path: Path) -> None:
    known = {"kiosk.ui": Path(), "kiosk.ui.theme": Path(), "kiosk.ui.text": Path()}
    module = tmp_path / "scenes.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import theme\n"
        "from kiosk.ui.text import wrap\n"
        "if TYPE_CHECKING:\n"
        "    from kiosk.ui import fit\n"
        "def f():\n"
        "    import kiosk.ui\n",
        encoding="utf-8",
    )
    assert _imported("kiosk.ui.scenes", module, known) == {"kiosk.ui.theme", "kiosk.ui.text"}


def test_no_import_cycles() -> None:
    """No two modules of the package import each other, directly or round a longer loop.

    Only imports that run when a module is loaded count: those at module level (and in class
    bodies and ``if``/``try`` blocks), not those inside functions nor under ``if TYPE_CHECKING``.
    An import inside a function is the accepted way to break a load-time cycle (and to keep
    ``kiosk --help`` quick), so it is not reported. Importing ``kiosk.a.b`` also loads the
    package ``kiosk.a`` first; that implicit step is not an edge, since Python handles a
    package's ``__init__`` importing its own submodules.
    """
    cycles = _cycles(_import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_modules_stay_readable() -> None:
    """No module of the package is longer than MAX_LINES lines, except those allowed by name."""
    too_long = {}
    for path in _modules().values():
        rel = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in LONG_MODULES_ALLOWED:
            too_long[rel] = lines
    stale = [rel for rel in LONG_MODULES_ALLOWED if not (ROOT / rel).is_file()]
    assert not stale, f"allowed long modules that no longer exist: {stale}"
    listing = "\n".join(f"{rel}: {n} lines" for rel, n in sorted(too_long.items()))
    assert not too_long, f"modules over {MAX_LINES} lines (split them by job):\n{listing}"


def _test_modules_imported(source: str, package: str) -> set[str]:
    """The test modules (``test_*`` under ``tests/``) that ``source``, a module of ``package``,
    imports, at load time or inside a function, by any spelling: ``import tests.test_x``, a name
    from ``tests.test_x``, the module ``test_x`` from ``tests``, and the relative forms."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != "tests":
                continue
            for i, part in enumerate(parts[1:], 1):
                if part.startswith("test_"):
                    found.add(".".join(parts[: i + 1]))
                    break
    return found


def test_import_reader_finds_every_way_to_import_a_test_module() -> None:
    # The sample is built from pieces so that a search of the tests for such imports finds none.
    tests = "from tests"
    source = (
        "import tests.test_a\n"
        f"{tests}.test_b import Rig\n"
        f"{tests} import test_c, conftest\n"
        f"{tests}.e2e.test_d import x\n"
        "from .test_f import y\n"
        "from . import test_g\n"
        f"{tests} import ui_fakes\n"
        "from testkit.ui import Rig\n"
        "from .conftest import ROOT\n"
        "def f():\n"
        f"    {tests}.test_e import feat\n"
    )
    assert _test_modules_imported(source, "tests") == {
        "tests.test_a",
        "tests.test_b",
        "tests.test_c",
        "tests.e2e.test_d",
        "tests.test_e",
        "tests.test_f",
        "tests.test_g",
    }


def test_no_test_module_imports_another() -> None:
    """A test module shares nothing by import: fixtures come from ``conftest.py`` by name, plain
    helpers and constants from ``testkit/``. So each test file reads and runs on its own, and no
    fixture or test is picked up a second time by the module that imported it."""
    offenders = {}
    files = [p for folder in ("tests", "testkit", "bench") for p in (ROOT / folder).rglob("*.py")]
    for path in sorted(files):
        package = ".".join(path.parent.relative_to(ROOT).parts)
        found = _test_modules_imported(path.read_text(encoding="utf-8"), package)
        if found:
            offenders[path.relative_to(ROOT).as_posix()] = sorted(found)
    listing = "\n".join(f"{rel}: {', '.join(names)}" for rel, names in offenders.items())
    assert not offenders, f"test modules imported by other files:\n{listing}"


# Names of the test kit's modules; none of them may ship.
TEST_KIT = re.compile(r"^(soak|synth|synthetic|pulse|avsync)(_.*)?$")


def _copy_source(dest: Path) -> Path:
    """The project as setuptools sees it, without what git ignores (the environment, caches,
    earlier builds), so the build leaves nothing behind in the checkout."""
    skip = shutil.ignore_patterns(
        ".git",
        ".venv",
        "__pycache__",
        ".*_cache",
        "build",
        "dist",
        "*.egg-info",
        "*.new.png",
        "*.diff.png",
    )
    src = dest / "src"
    shutil.copytree(ROOT, src, ignore=skip)
    return src


def test_wheel_ships_the_kiosk_and_no_test_kit(tmp_path: Path) -> None:
    """The wheel a kiosk installs: every module and asset of ``kiosk/``, the ``kiosk`` command,
    and none of the test kit, tests or benchmarks."""
    src = _copy_source(tmp_path)
    out = tmp_path / "wheel"
    build = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "--quiet", "-w", str(out), str(src)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/RECORD"))
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        top_level = zf.read(f"{dist_info}/top_level.txt").decode().split()

    assert top_level == ["kiosk"]
    assert re.search(r"^kiosk = kiosk\.cli:entry$", entry_points, re.M), entry_points
    shipped = {n for n in names if not n.startswith(dist_info + "/")}
    assert {"kiosk/__main__.py", "kiosk/cli/__init__.py", "kiosk/cli/_common.py"} <= shipped
    assert any(re.fullmatch(r"kiosk/assets/fonts/[^/]+\.ttf", n) for n in shipped)

    # Everything under kiosk/ in the source is in the wheel: code and assets alike.
    source_files = {
        p.relative_to(src).as_posix()
        for p in (src / "kiosk").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert not source_files - shipped, sorted(source_files - shipped)

    outside = sorted(n for n in shipped if not n.startswith("kiosk/"))
    assert not outside, f"files outside the package: {outside}"
    kit = sorted(
        n
        for n in shipped
        if {"testkit", "tests", "bench"} & set(n.split("/"))
        or TEST_KIT.match(Path(n).stem)
        or n.startswith("kiosk/test")
    )
    assert not kit, f"test kit in the wheel: {kit}"
