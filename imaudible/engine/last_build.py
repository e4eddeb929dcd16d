"""`last-build.json` in the cache: what the last finished build ran each stage with (the stage's version and
the models' identities). A build that must compute results again because one of those changed (an upgrade of
imaudible, a model pulled at a new revision) says so before it starts, naming what changed: with MusicGen,
that can be hours of work, which "computing 80 artworks" alone does not explain."""
from __future__ import annotations

import json
from pathlib import Path

from ..state_files import read_state_file
from .atomic import write_if_changed

FILE = "last-build.json"
LIMIT = 64 << 20     # bytes: the artwork ids of a gallery of 100,000 take ~2 MB


def read(cache_root: Path) -> dict:
    """{"stages": {stage: {"version": str, "models": [identity, ...]}}, "artworks": [id, ...]}; empty parts when
    missing or not that shape (a cache from elsewhere may hold anything here: it only ever words a message)."""
    try:
        data = json.loads(read_state_file(cache_root / FILE, limit=LIMIT))
    except (OSError, ValueError):
        data = None
    stages = data.get("stages") if isinstance(data, dict) else None
    artworks = data.get("artworks") if isinstance(data, dict) else None
    stages = {stage: ran for stage, ran in stages.items() if isinstance(ran, dict)
              and isinstance(ran.get("version"), str) and isinstance(ran.get("models"), list)
              and all(isinstance(m, str) for m in ran["models"])} if isinstance(stages, dict) else {}
    artworks = [a for a in artworks if isinstance(a, str)] if isinstance(artworks, list) else []
    return {"stages": stages, "artworks": artworks}


def record(cache_root: Path, ran: dict) -> None:
    write_if_changed(cache_root / FILE, json.dumps(ran, sort_keys=True, indent=1, allow_nan=False).encode(),
                     durable=False)


def say_what_changed(nodes, cache_root: Path, warn) -> dict:
    """Before any work: why results are computed again, where a stage or its model changed since the last
    finished build. Returns what this build runs each stage with, and for which artworks, to record once it has
    finished. Only the artworks of that build count: a new one is computed because it is new."""
    before = read(cache_root)
    ran = {"stages": what_ran(nodes), "artworks": sorted({node.id for node in nodes})}
    known = set(before["artworks"])
    computing: dict[str, int] = {}
    for node in nodes:
        computing[node.stage.name] = computing.get(node.stage.name, 0) + (node.to_compute and node.id in known)
    for line in changes(before["stages"], ran["stages"], computing):
        warn(line)
    return ran


def what_ran(nodes) -> dict[str, dict]:
    """What `nodes` (a build's planned nodes) run each stage with."""
    ran: dict[str, dict] = {}
    for node in nodes:
        entry = ran.setdefault(node.stage.name, {"version": str(node.stage.version), "models": []})
        if node.resolved is not None and node.resolved.identity not in entry["models"]:
            entry["models"].append(node.resolved.identity)
    for entry in ran.values():
        entry["models"].sort()
    return ran


def changes(before: dict[str, dict], now: dict[str, dict], computing: dict[str, int]) -> list[str]:
    """One line per stage that has results to compute and ran otherwise last time: its own version, or one of
    its models at another revision. (The stages made from it recompute too, for that reason alone.)"""
    lines = []
    for stage, ran in now.items():
        last = before.get(stage)
        if last is None or not computing.get(stage):
            continue
        then = " so its results (and those made from them) are computed again"
        if last["version"] != ran["version"]:
            lines.append(f"{stage}: the stage changed in this version of imaudible ({last['version']} -> "
                         f"{ran['version']}),{then}")
            continue
        revisions = {_name(m): _revision(m) for m in last["models"]}
        for model in ran["models"]:
            old = revisions.get(_name(model))
            if old is not None and old != _revision(model):
                lines.append(f"{stage}: model '{_name(model)}' is at another revision ({_short(old)} -> "
                             f"{_short(_revision(model))}),{then}")
    return lines


def _name(identity: str) -> str:
    return identity.rpartition("@")[0] or identity


def _revision(identity: str) -> str:
    return identity.rpartition("@")[2]


def _short(revision: str) -> str:
    return revision[:12] if len(revision) == 40 else revision
