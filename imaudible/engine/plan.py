"""The plan: which stages a build runs, in which order.

The stages come from `imaudible.stages.STAGES` (or a caller's own list, e.g. a test that plugs one in);
the plan keeps those a gallery's settings enable and orders them so that every stage comes after the
stages it needs, keeping the listed order where the needs leave a choice.
"""
from __future__ import annotations


class PlanError(ValueError):
    pass


def make_plan(stages, gallery) -> list:
    chosen = [s for s in stages if s.enabled(gallery)]
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise PlanError(f"two stages share a name: {sorted(n for n in names if names.count(n) > 1)}")
    for stage in chosen:
        unknown = [n for n in stage.needs if n not in names]
        if unknown:
            raise PlanError(f"stage '{stage.name}' needs {', '.join(unknown)}, which the plan does not run")
    ordered, placed = [], set()
    waiting = list(chosen)
    while waiting:
        ready = next((s for s in waiting if set(s.needs) <= placed), None)
        if ready is None:
            raise PlanError(f"stages need each other in a cycle: {', '.join(s.name for s in waiting)}")
        ordered.append(ready)
        placed.add(ready.name)
        waiting.remove(ready)
    return ordered
