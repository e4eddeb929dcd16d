"""Transient files (`Stage.transient_files`): what a stage hands on in memory to the later stages of the build
that computes it, and never writes to the cache.

- `split`: a computed result -> what the cache stores, and the held files its entry carries for this build;
- `let_go_once_read`: a held file is dropped once every node of the artwork that reads it (`reads_transient`)
  has read its inputs or is done with, so a build does not hold one per artwork to its end (nor until a stage
  that needs its stage for something else, as music needs ingest's content hash, reads its inputs);
- `compute_again_for`: in a later build, the cached upstream result of a node that reads its transient files
  has none; it is planned to be computed again, before the node (its stored result stays).
A read that still finds a file gone raises `NotHeld`, which the flow repairs as it does a damaged result.
"""
from __future__ import annotations

import dataclasses

from ..types import HeldFile
from .stage import Result


def split(stage, key: str, result: Result) -> tuple[Result, dict | None]:
    """(the result to store, name -> HeldFile or None when the stage holds nothing)."""
    transient = stage.transient_files
    if not transient or not any(name in transient for name in result.files):
        return result, None
    kept = {name: data for name, data in result.files.items() if name not in transient}
    held = {name: HeldFile(stage.name, key, name, data) for name, data in result.files.items() if name in transient}
    return Result(result.meta, kept), held


def holding(entry, held: dict | None):
    return entry if held is None else dataclasses.replace(entry, held=held)


def let_go_once_read(nodes: dict, needers, node) -> None:
    """Drop what `node`'s artwork's upstream results hold once every node reading it has read its inputs or is
    done with (`nodes`: (artwork, stage) -> node; `needers(stage)`: the names of the stages that need it)."""
    for need in node.stage.needs:
        upstream = nodes.get((node.id, need))
        if upstream is None or not upstream.stage.transient_files:
            continue
        readers = (nodes.get((node.id, name)) for name in needers(upstream.stage))
        if all(r is None or r.took_inputs or r.status in ("done", "closed")
               or need not in r.stage.reads_transient(r.resolved) for r in readers):
            entry = node.state.entries.get(need)
            for file in (entry.held or {}).values() if entry is not None else ():
                file.let_go()


def compute_again_for(node, planned: dict) -> None:
    """Plan the cached upstream results whose transient files `node` reads, and has none, to be computed again
    (`planned`: (artwork, stage) -> node, for the stages planned so far)."""
    for name in node.stage.reads_transient(node.resolved):
        upstream = planned.get((node.id, name))
        entry = upstream.entry if upstream is not None else None
        if entry is not None and not upstream.stage.has_transient(entry):
            upstream.entry = None
