"""The package's shape: no import cycles (counting lazy, importlib and type-only imports), short modules and
classes, an engine that knows no stage and a site that knows no cache layout."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "imaudible"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "theme" not in p.parts}


def _absolute(name: str, level: int, current: str, is_package: bool) -> str:
    if not level:
        return name
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of the package that `name` imports anywhere: top level, inside functions, via importlib, and
    for type annotations only (`if TYPE_CHECKING:`): a cycle of types is a cycle of design too."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module or "", node.level, name, is_package)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__", "find_spec"):
                for const in ast.walk(node.args[0]):   # every name the argument can be ('.a' if x else '.b')
                    if isinstance(const, ast.Constant) and isinstance(const.value, str):
                        target = const.value
                        level = len(target) - len(target.lstrip("."))
                        found.add(_absolute(target.lstrip("."), level, name, is_package) if level else target)
    edges = set()
    for target in found:
        parts = target.split(".")
        for i in range(2, len(parts) + 1):   # importing a.b.c runs a.b's __init__ too (but not our own parents)
            prefix = ".".join(parts[:i])
            if prefix in known and prefix != name and not name.startswith(prefix + "."):
                edges.add(prefix)
    return edges


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walker_sees_lazy_and_importlib_imports(tmp_path):
    graph = {"a": {"b"}, "b": {"a"}, "c": set()}
    assert cycles(graph) == [["a", "b"]]
    source = ("import importlib\n"
              "def f():\n    from .mood import Mood\n"
              "def g(kind):\n    importlib.import_module('.compose' if kind else '.site', __package__)\n")
    path = tmp_path / "probe.py"
    path.write_text(source)
    known = {"imaudible.mood": path, "imaudible.compose": path, "imaudible.site": path, "imaudible.probe": path}
    assert imports_of("imaudible.probe", path, known) == {"imaudible.mood", "imaudible.compose", "imaudible.site"}


def test_no_import_cycles():
    graph = import_graph()
    assert "imaudible.engine.runner" in graph and graph["imaudible.build"], "the walker found no imports"
    assert cycles(graph) == []


def test_the_engine_knows_no_stage_and_the_site_no_cache_layout():
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("imaudible.engine"):
            assert not any(t.startswith("imaudible.stages") for t in targets), name
    site = "\n".join(p.read_text() for p in (PACKAGE / "site").glob("*.py"))
    for cache_name in ("result.json", "analysis.png", "clip.bin", '"audio.', "objects/", "entries", ".meta["):
        assert cache_name not in site


def test_modules_and_classes_are_short():
    for name, path in modules().items():
        lines = path.read_text().splitlines()
        assert len(lines) <= 400, f"{name} has {len(lines)} lines"
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ClassDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 150, f"{name}.{node.name} has {length} lines"
