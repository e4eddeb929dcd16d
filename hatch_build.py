"""Hatch build hook: the wheel and the sdist carry a front end built from the sources they ship.

`static/gallery.js` is built by npm (esbuild) and ignored by git. Before hatch collects files, this hook runs
`npm ci && npm run build` when the bundle is missing or older than `frontend/`, `package.json` or
`package-lock.json`. An sdist carries the built bundle (hatch keeps a file's mtime equal across an sdist), so
a wheel built from an sdist needs no node. Editable installs read the source tree and are left alone.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = "static/gallery.js"
SOURCES = ("frontend", "package.json", "package-lock.json")
NPM_STEPS = (["ci", "--no-audit", "--no-fund", "--loglevel=error"], ["run", "--silent", "build"])


class FrontEndBuildError(RuntimeError):
    pass


def newest_source_mtime(root: Path) -> float:
    """The latest modification time among the front end's sources (0 when none are present)."""
    newest = 0.0
    for name in SOURCES:
        path = root / name
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path] if path.is_file() else []
        for file in files:
            newest = max(newest, file.stat().st_mtime)
    return newest


def bundle_is_stale(root: Path) -> bool:
    """True when the bundle is missing, or some front-end source changed after it was built."""
    bundle = root / BUNDLE
    if not bundle.is_file() or bundle.stat().st_size == 0:
        return True
    return bundle.stat().st_mtime < newest_source_mtime(root)


def build_front_end(root: Path, log=print) -> bool:
    """Build the bundle if it is stale; returns whether npm ran. Raises FrontEndBuildError with a message
    that says what to do."""
    if not bundle_is_stale(root):
        return False
    if not (root / "package.json").is_file():
        raise FrontEndBuildError(f"{BUNDLE} is missing and there is no package.json to build it from")
    npm = shutil.which("npm")
    if npm is None:
        what = "missing" if not (root / BUNDLE).is_file() else "older than frontend/"
        raise FrontEndBuildError(
            f"imaudible's front end ({BUNDLE}) is {what}, and building it needs npm, which is not on PATH. "
            "Install Node.js 18+ with npm (e.g. `apt-get install nodejs npm`), or install imaudible from a "
            "wheel or an sdist, which carry the built front end.")
    for args in NPM_STEPS:
        log(f"imaudible: npm {' '.join(args)}")
        done = subprocess.run([npm, *args], cwd=root)
        if done.returncode != 0:
            raise FrontEndBuildError(f"`npm {' '.join(args)}` failed (exit {done.returncode}); see its output above")
    if bundle_is_stale(root):
        raise FrontEndBuildError(f"`npm run build` finished but {BUNDLE} is still missing or out of date")
    return True


class FrontEndHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        try:
            build_front_end(Path(self.root), log=self.app.display_info)
        except FrontEndBuildError as exc:
            self.app.display_error(f"error: {exc}")
            raise SystemExit(1) from None
        build_data.setdefault("artifacts", []).append(BUNDLE)
