"""The wheel is a complete product: built from a fresh clone (no front-end bundle; the build hook runs npm),
installed without [models] into a fresh venv, it builds the demo into a site with a working gallery.js.
An sdist carries the built bundle, so a wheel built from it needs no node."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO

BUNDLE_IN_WHEEL = "imaudible/theme/static/gallery.js"
NO_NPM_PATH = str(Path(sys.executable).parent)  # the test venv's bin: python, no npm or node


def _run(args, cwd, env=None, timeout=240):
    env = {k: v for k, v in (env or os.environ).items() if k != "PYTHONPATH"}  # never the source tree
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _build(kind: str, source: Path, dist: Path, path_env: str | None = None):
    env = {**os.environ, "PATH": path_env} if path_env else None
    return _run([sys.executable, "-m", "build", f"--{kind}", "--no-isolation", "--outdir", dist, "."], source, env)


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    if shutil.which("git") is None or shutil.which("npm") is None:
        pytest.skip("needs git and npm")
    if not (REPO / ".git").exists():
        pytest.skip("needs a git checkout (these tests run from an unpacked sdist too)")
    clone = tmp_path_factory.mktemp("clone") / "imaudible"
    done = _run(["git", "clone", "-q", REPO, clone], REPO)
    assert done.returncode == 0, done.stderr
    assert not (clone / "static" / "gallery.js").exists(), "the bundle is git-ignored: a clone has none"
    return clone


@pytest.mark.slow
def test_wheel_from_fresh_clone_builds_the_demo(fresh_clone, tmp_path):
    dist = tmp_path / "dist"
    no_npm = _build("wheel", fresh_clone, dist, path_env=NO_NPM_PATH)
    assert no_npm.returncode != 0
    assert "needs npm, which is not on PATH" in no_npm.stdout + no_npm.stderr
    assert not list(dist.glob("*.whl"))

    built = _build("wheel", fresh_clone, dist)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    bundle = (fresh_clone / "static" / "gallery.js").read_bytes()
    wheel = next(dist.glob("imaudible-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(BUNDLE_IN_WHEEL) == bundle
        names = archive.namelist()
        assert "imaudible/theme/templates/index.html" in names
        assert [n for n in names if not n.startswith(("imaudible/", "imaudible-"))] == []   # no tests, no demo
        assert [n for n in names if "__pycache__" in n or n.endswith(".pyc")] == []

    # A fresh venv with only the wheel and its base dependencies (this pip installs into it; --no-compile
    # skips byte-compiling numpy/scipy, most of the install time on a busy machine).
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path).returncode == 0
    python = venv / "bin" / "python"
    install = _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-compile",
                    "--disable-pip-version-check", wheel], tmp_path, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    assert _run([python, "-c", "import torch"], tmp_path).returncode != 0, "[models] must not be installed"

    tool = venv / "bin" / "imaudible-site"
    pull = _run([tool, "models", "pull", "facebook/musicgen-small"], tmp_path)
    assert pull.returncode == 2 and "needs the [models] extra" in pull.stderr, pull.stderr
    listed = _run([tool, "models", "list"], tmp_path)
    assert listed.returncode == 0 and "LIBRARY MISSING" in listed.stdout and "WEIGHTS MISSING" in listed.stdout
    _weights_without_the_extra_are_refused(tool, fresh_clone, tmp_path)

    demo = shutil.copytree(fresh_clone / "demo", tmp_path / "demo")
    manifest = demo / "gallery.yaml"  # the demo as it is, with 2 s clips instead of 20 s (a test, not a concert)
    manifest.write_text(re.sub(r"(?m)^  duration: \d+$", "  duration: 2", manifest.read_text(), count=1))
    site = tmp_path / "site"
    result = _run([tool, "build", demo, "--out", site, "-q"], tmp_path)
    assert result.returncode == 0, result.stderr
    scripts = list((site / "assets").glob("gallery.*.js"))
    assert len(scripts) == 1
    # the bundle as built, but for its last line, which names its map under the map's hashed name
    published, (built_map,) = scripts[0].read_bytes(), re.findall(rb"sourceMappingURL=(gallery\.js\.map)", bundle)
    hashed_map = re.search(rb"sourceMappingURL=(gallery\.js\.[0-9a-f]+\.map)", published).group(1)
    assert published == bundle.replace(built_map, hashed_map) and (site / "assets" / hashed_map.decode()).is_file()
    page = (site / "index.html").read_text()
    assert re.search(rf'<script[^>]+src="[^"]*{re.escape(scripts[0].name)}"', page)
    if shutil.which("node"):
        assert _run(["node", "--check", scripts[0]], tmp_path).returncode == 0


@pytest.mark.slow
def test_sdist_carries_the_bundle_and_builds_a_wheel_without_npm(fresh_clone, tmp_path):
    dist = tmp_path / "dist"
    built = _build("sdist", fresh_clone, dist)  # runs npm in the clone unless the wheel test already did
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    sdist = next(dist.glob("imaudible-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    source = next((tmp_path / "unpacked").iterdir())
    bundle = (source / "static" / "gallery.js").read_bytes()
    assert bundle == (fresh_clone / "static" / "gallery.js").read_bytes()
    shipped = {p.relative_to(source).as_posix() for p in source.rglob("*")}
    # what a packager needs: the licence, the front end's sources and lockfile, and the tests with their paintings
    assert {"LICENSE", "README.md", "package-lock.json", "frontend/src/main.js", "templates/index.html",
            "tests/conftest.py", "tests/test_wheel.py", "demo/gallery.yaml", "demo/art/udnie.jpg"} <= shipped
    junk = [p for p in shipped if p.split("/")[0] in {"node_modules", ".venv", "build", "dist", "test-artifacts",
                                                       ".pytest_cache"} or "__pycache__" in p or "imaudible-cache" in p
            or p.startswith(("demo/build", ".git/"))]
    assert junk == []
    # the suite runs from the unpacked sdist (here its fastest file; the others need what it needs)
    structure = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_structure.py"],
                     source)   # `-m` puts the unpacked source first on sys.path
    assert structure.returncode == 0, structure.stdout[-2000:]

    wheel_dist = tmp_path / "wheel"
    from_sdist = _build("wheel", source, wheel_dist, path_env=NO_NPM_PATH)
    assert from_sdist.returncode == 0, from_sdist.stdout[-2000:] + from_sdist.stderr[-2000:]
    with zipfile.ZipFile(next(wheel_dist.glob("imaudible-*.whl"))) as archive:
        assert archive.read(BUNDLE_IN_WHEEL) == bundle


def _weights_without_the_extra_are_refused(tool, source, tmp_path):
    """Weights on disk that this install cannot load are a one-line exit-2 error before any stage, not a
    ModuleNotFoundError for torch in the middle of the build."""
    gallery = tmp_path / "weights-only"
    weights = gallery / "models" / "mg"
    weights.mkdir(parents=True)
    shutil.copy(source / "demo" / "art" / "udnie.jpg", gallery / "udnie.jpg")
    (gallery / "gallery.yaml").write_text("title: T\ncaption: {model: builtin}\nmusic: {model: ./models/mg}\n"
                                          "artworks:\n  - {file: udnie.jpg, title: Udnie}\n")
    (weights / "config.json").write_text('{"model_type": "musicgen"}')
    (weights / "tokenizer.json").write_text('{"model": {}}')
    header = b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
    (weights / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header + bytes(4))
    refused = _run([tool, "build", gallery, "-q"], tmp_path)
    assert refused.returncode == 2, refused.stderr
    # installed from a wheel file: the command names that wheel (extras.py), never PyPI's 'imaudible'
    assert re.search(r"To use it, install the \[models\] extra \(`pip install '?/\S+\.whl\[models\]'?`\)\.$",
                     refused.stderr.strip().splitlines()[-1]), refused.stderr
    assert not (gallery / "build").exists()


def _hook_module():
    pytest.importorskip("hatchling")
    spec = importlib.util.spec_from_file_location("imaudible_hatch_build", REPO / "hatch_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_hook_rebuilds_only_a_missing_or_stale_bundle(tmp_path, monkeypatch):
    hook = _hook_module()
    (tmp_path / "frontend" / "src").mkdir(parents=True)
    (tmp_path / "static").mkdir()
    for name in ("frontend/src/main.js", "package.json", "package-lock.json"):
        (tmp_path / name).write_text("{}")
        os.utime(tmp_path / name, (1000, 1000))
    bundle = tmp_path / "static" / "gallery.js"
    assert hook.bundle_is_stale(tmp_path)  # missing
    bundle.write_text("")
    assert hook.bundle_is_stale(tmp_path)  # empty
    bundle.write_text("bundle")
    os.utime(bundle, (1000, 1000))
    assert not hook.bundle_is_stale(tmp_path)  # as in an sdist: every file has the same mtime
    os.utime(tmp_path / "frontend" / "src" / "main.js", (2000, 2000))
    assert hook.bundle_is_stale(tmp_path)  # a source changed after the bundle was built

    monkeypatch.setenv("PATH", str(tmp_path))  # no npm
    with pytest.raises(hook.FrontEndBuildError, match="older than frontend/, and building it needs npm"):
        hook.build_front_end(tmp_path)
    os.utime(bundle, (3000, 3000))
    assert hook.build_front_end(tmp_path) is False  # fresh: npm is not needed


# Distribution name -> the name it is imported by, where they differ.
IMPORT_NAMES = {"pillow": "PIL", "pyyaml": "yaml", "scikit-learn": "sklearn", "ruamel.yaml": "ruamel",
                "imageio-ffmpeg": "imageio_ffmpeg"}
# Declared but imported by no module of imaudible, each for a reason pyproject.toml gives.
NOT_IMPORTED = {"pyvips-binary", "sentencepiece"}
# Imported but installed apart: audiocraft's pins cannot resolve beside [models] (README, music.backend).
NOT_DECLARED = {"audiocraft"}


def _imported_packages() -> set[str]:
    """Top-level names of the third-party packages imaudible's modules import (lazily too, or by find_spec)."""
    import ast
    found = set()
    for path in (REPO / "imaudible").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("import_module", "find_spec") \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return {name.split(".")[0] for name in found} - set(sys.stdlib_module_names) - {"imaudible"}


def test_declared_dependencies_are_what_the_code_imports():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    groups = {"base": project["dependencies"], **{k: v for k, v in project["optional-dependencies"].items()
                                                   if k != "dev"}}
    declared = {}
    for group, requirements in groups.items():
        for requirement in requirements:
            name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower()
            declared[IMPORT_NAMES.get(name, name.replace("-", "_"))] = group
    imported = _imported_packages()
    assert sorted(imported - set(declared) - NOT_DECLARED) == [], "imported but not declared (in no extra either)"
    unused = {name for name in set(declared) - imported if name.replace("_", "-") not in NOT_IMPORTED}
    assert sorted(unused) == [], "declared but imported by nothing"


def test_python_classifiers_start_at_requires_python():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    floor = re.fullmatch(r">=(3\.\d+)", project["requires-python"]).group(1)
    versions = sorted((c.rsplit(" :: ", 1)[1] for c in project["classifiers"]
                       if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)), key=lambda v: int(v[2:]))
    assert versions and versions[0] == floor
    assert [int(v[2:]) for v in versions] == list(range(int(floor[2:]), int(versions[-1][2:]) + 1))  # no gaps
