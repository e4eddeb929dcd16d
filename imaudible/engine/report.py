"""The build report: per artwork and stage what happened (computed, cached, skipped, failed), timings,
models loaded and called, warnings, totals. `to_dict` is what `build --report` writes (as `report_json`, or
`report_csv` for a .csv file)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from .cache import Entry

STATUSES = ("computed", "cached", "skipped", "failed")
# Raised when a key of the JSON report changes meaning or goes (one that is added leaves it), for CI that reads it.
REPORT_FORMAT = 1


@dataclass
class StageRecord:
    status: str  # computed | cached | skipped | failed
    seconds: float = 0.0
    error: str | None = None
    details: dict | None = None
    node: str | None = None  # the machine that computed it, when the executor spans machines

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"status": self.status, "seconds": round(self.seconds, 4)}
        if self.error:
            out["error"] = self.error
        if self.node:
            out["node"] = self.node
        if self.details:
            out.update(self.details)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "StageRecord":
        own = ("status", "seconds", "error", "node")
        return cls(data["status"], data.get("seconds", 0.0), data.get("error"),
                   {k: v for k, v in data.items() if k not in own} or None, data.get("node"))


@dataclass(frozen=True)
class RecordedView:
    """What a replayed build keeps of a stage's view: all the report and the summary read of it."""
    model: str | None = None
    draft: bool = False


@dataclass
class ArtworkState:
    """Everything the stages learn about one artwork during a build."""
    art: Any
    keys: dict[str, str] = field(default_factory=dict)
    views: dict[str, Any] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    records: dict[str, StageRecord] = field(default_factory=dict)
    error: str | None = None
    failed_stage: str | None = None

    @property
    def id(self) -> str:
        return self.art.id

    def fail(self, stage: str, message: str) -> None:
        self.error, self.failed_stage = message, stage
        self.records[stage] = StageRecord("failed", error=message)


@dataclass
class BuildReport:
    gallery: str
    out: str
    stages: tuple[str, ...] = ()
    model_stages: tuple[str, ...] = ()
    runs: list[ArtworkState] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    model_calls: dict[str, int] = field(default_factory=dict)
    models_loaded: list[str] = field(default_factory=list)
    stage_wall: dict[str, float] = field(default_factory=dict)  # first computation's start to last one's end (stages overlap)
    executor: str = ""
    peak_cuda_memory_mb: dict[str, float] = field(default_factory=dict)   # per model stage, where CUDA is used
    pages_written: int = 0
    files_removed: int = 0

    @property
    def failures(self) -> list[ArtworkState]:
        return [r for r in self.runs if r.error]

    def _artwork(self, run: ArtworkState) -> dict:
        # file and title: an id made from a name in another script ('artwork-d3010d') says nothing by itself
        info = {"file": run.art.file, "title": run.art.title, "error": run.error,
                "stages": {s: run.records[s].to_dict() for s in self.stages if s in run.records}}
        for stage in self.model_stages:
            info[f"{stage}_model"] = getattr(run.views.get(stage), "model", None)
        return info

    def replay_payload(self, said: list[tuple[str, str]]) -> dict:
        """What an unchanged rebuild says again (engine/stamp.py): the warnings as printed (`said`: message,
        hint) and as reported, the models, the executor, and per artwork its records and the model and draft mark of
        each view."""
        def views(run: ArtworkState) -> dict:
            return {stage: [getattr(view, "model", None), bool(getattr(view, "draft", False))]
                    for stage, view in run.views.items() if hasattr(view, "model") or hasattr(view, "draft")}

        return {"said": [list(pair) for pair in said], "warnings": self.warnings, "model_calls": self.model_calls,
                "models_loaded": self.models_loaded, "executor": self.executor,
                "artworks": [[run.id, {s: r.to_dict() for s, r in run.records.items()}, views(run)]
                             for run in self.runs]}

    def replay(self, payload: dict) -> list[tuple[str, str]]:
        """Fill this report (made for the same gallery) from `replay_payload`'s output; returns what was said.
        A payload that does not fit raises (KeyError, TypeError, ValueError) and changes nothing."""
        by_id = {run.id: run for run in self.runs}
        filled = [(by_id[art_id], {stage: StageRecord.from_dict(record) for stage, record in records.items()},
                   {stage: RecordedView(model, bool(draft)) for stage, (model, draft) in views.items()})
                  for art_id, records, views in payload["artworks"]]
        if len(filled) != len(self.runs):
            raise ValueError("the stamp's artworks are not this gallery's")
        said = [(str(message), str(hint)) for message, hint in payload["said"]]
        warnings, calls = list(payload["warnings"]), dict(payload["model_calls"])
        loaded, executor = list(payload["models_loaded"]), str(payload["executor"])
        for run, records, views in filled:
            run.records, run.views = records, views
        self.warnings, self.model_calls, self.models_loaded, self.executor = warnings, calls, loaded, executor
        return said

    def to_dict(self) -> dict:
        by_stage = {s: {**dict.fromkeys(STATUSES, 0), "seconds": 0.0, "wall_seconds": round(self.stage_wall.get(s, 0.0), 4)}
                    for s in self.stages}
        for run in self.runs:
            for stage, rec in run.records.items():
                by_stage[stage][rec.status] += 1
                by_stage[stage]["seconds"] = round(by_stage[stage]["seconds"] + rec.seconds, 4)
        totals = {k: sum(v[k] for v in by_stage.values()) for k in STATUSES}
        return {
            "report_format": REPORT_FORMAT,
            "generator": f"imaudible {__version__}",
            "gallery": self.gallery,
            "out": self.out,
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
            "model_calls": self.model_calls,
            "models_loaded": self.models_loaded,
            "executor": self.executor,
            "peak_cuda_memory_mb": self.peak_cuda_memory_mb,
            "pages_written": self.pages_written,
            "files_removed": self.files_removed,
            "artworks": {r.id: self._artwork(r) for r in self.runs},
            "totals": {**totals, "artworks": len(self.runs), "failed_artworks": len(self.failures),
                       "by_stage": by_stage},
            "failed": [{"id": r.id, "file": r.art.file, "stage": r.failed_stage, "error": r.error} for r in self.failures],
        }


def report_json(data: dict) -> str:
    """The report as JSON text, one line per field and per artwork. (Indented JSON goes through Python's
    pure-Python encoder: ~0.1 s for 500 artworks, a fifth of a no-op rebuild; compact lines use the C one.)"""
    def compact(value) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)

    lines = []
    for name, value in sorted(data.items()):
        if name == "artworks" and value:
            rows = ",\n".join(f"  {compact(art_id)}: {compact(info)}" for art_id, info in sorted(value.items()))
            lines.append(f" {compact(name)}: {{\n{rows}\n }}")
        else:
            lines.append(f" {compact(name)}: {compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def spreadsheet_cells(row: dict) -> dict:
    """The row as a spreadsheet shows it: text that starts like a formula (a title taken from an image's
    metadata by `add`: '=HYPERLINK(...)') gets a leading apostrophe, as OWASP advises, and is not run."""
    return {name: "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
            for name, value in row.items()}


def report_csv(data: dict) -> str:
    """The report's artworks as CSV, one row each: id, file, title, the failure if any, each stage's status,
    the models. The totals and warnings are the JSON report's."""
    artworks = data.get("artworks") or {}
    stages = list(dict.fromkeys(stage for info in artworks.values() for stage in info["stages"]))   # in build order
    models = sorted({key for info in artworks.values() for key in info if key.endswith("_model")})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, ["id", "file", "title", "error", *stages, *models], lineterminator="\n")
    writer.writeheader()
    for art_id, info in sorted(artworks.items()):
        row = {"id": art_id, "file": info["file"], "title": info["title"], "error": info["error"] or "",
               **{stage: record["status"] for stage, record in info["stages"].items()},
               **{key: info.get(key) or "" for key in models}}
        writer.writerow(spreadsheet_cells(row))
    return buf.getvalue()
