"""The package's shape: no import cycles (counting lazy, importlib and type-only imports), short modules and
classes, an engine that knows no stage and a site that knows no cache layout."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "imaudible"
# What `imports_of` records for an importlib call whose module name is not written in the call (a variable,
# a lookup): the walker cannot follow it, so `test_no_import_cycles` accepts it only where it knows the names.
UNSEEN = "<a module named at run time>"


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


def _literal_names(arg: ast.expr) -> list[str] | None:
    """Every module name an importlib call's argument can be ('.a' if x else '.b'); None when one is not
    written in the call (a variable, a lookup, an f-string)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        body, orelse = _literal_names(arg.body), _literal_names(arg.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of the package that `name` imports anywhere: top level, inside functions, via importlib, and
    for type annotations only (`if TYPE_CHECKING:`): a cycle of types is a cycle of design too."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    unseen: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module or "", node.level, name, is_package)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__", "find_spec"):
                named = node.args[:1] or [k.value for k in node.keywords if k.arg == "name"]
                names = _literal_names(named[0]) if named else None
                if names is None:
                    unseen.add(UNSEEN)
                for target in names or ():
                    level = len(target) - len(target.lstrip("."))
                    found.add(_absolute(target.lstrip("."), level, name, is_package) if level else target)
    edges = set()
    for target in found:
        parts = target.split(".")
        for i in range(2, len(parts) + 1):   # importing a.b.c runs a.b's __init__ too (but not our own parents)
            prefix = ".".join(parts[:i])
            if prefix in known and prefix != name and not name.startswith(prefix + "."):
                edges.add(prefix)
    return edges | unseen


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
    # a name looked up at run time cannot be walked: said, so that no cycle hides behind it
    path.write_text("import importlib\nMODULES = {'music': '.compose'}\n"
                    "def g(kind):\n    return importlib.import_module(MODULES[kind], __package__)\n"
                    "def h(kind):\n    return __import__(name=f'imaudible.{kind}')\n")
    assert imports_of("imaudible.probe", path, known) == {UNSEEN}


def test_no_import_cycles():
    graph = import_graph()
    assert "imaudible.engine.runner" in graph and graph["imaudible.build"], "the walker found no imports"
    # The imports named at run time: the executors import what the stages declare in `preload`; the
    # model libraries are looked for (`find_spec`) by the names each backend needs.
    from imaudible.model_libraries import BACKEND_LIBRARIES
    from imaudible.stages import STAGES, evaluate

    named_later = {"imaudible.engine.executors": {m for s in (*STAGES, evaluate.STAGE) for m in s.preload},
                   "imaudible.model_libraries": {m for names in BACKEND_LIBRARIES.values() for m in names}}
    assert {name for name, targets in graph.items() if UNSEEN in targets} == set(named_later)
    for name, targets in named_later.items():
        graph[name] = (graph[name] - {UNSEEN}) | (targets & set(graph))
    assert cycles(graph) == []


def test_the_engine_knows_no_stage_and_the_site_no_cache_layout():
    graph = import_graph()
    assert graph["imaudible.types"] == set(), "types.py is a leaf"
    for name, targets in graph.items():
        if name.startswith(("imaudible.engine", "imaudible.site")):
            assert not any(t.startswith("imaudible.stages") for t in targets), name
    for interface in ("imaudible.caption", "imaudible.prompt", "imaudible.compose"):   # the registry finds backends
        assert not any(t.startswith("imaudible.backends") for t in graph[interface]), interface
    site = "\n".join(p.read_text() for p in (PACKAGE / "site").glob("*.py"))
    for cache_name in ("result.json", "analysis.png", "analysis.ppm", "clip.bin", '"audio.', "objects/", "entries", ".meta["):
        assert cache_name not in site


def test_modules_and_classes_are_short():
    for name, path in modules().items():
        lines = path.read_text().splitlines()
        assert len(lines) <= 400, f"{name} has {len(lines)} lines"
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ClassDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 150, f"{name}.{node.name} has {length} lines"
