"""What a stage is: a declaration the engine reads, never a procedure it is called into.

A stage says
- its `name` and code `version` (bump the version when the same inputs give a different result);
- the stages it `needs` (their keys enter its key; their typed views are its inputs);
- the `model` kind it runs ("caption", "music", ...), or None for plain CPU work;
- the `settings` that enter its key (and `source`: the content key of a file outside the cache, for the
  stage that reads the artwork itself);
- what a curator may `given` instead of the computed result (a caption or prompt written in the manifest);
- `inputs`: the plain, picklable data one artwork hands to `compute` (bytes rather than paths where it can);
- `compute`: a pure module-level function over a batch of those inputs (and the loaded model, if any),
  returning one `Result` per input. It runs unchanged in a thread, another process or another machine;
- its `transient_files`: files of a result handed on in memory to the later stages of the build that
  computes it and never stored (computed again when a later build needs them);
- `read`: the typed view of a stored result, which later stages and the site consume.

The engine builds every key from these parts alone (see `runner.stage_key_for`), so a result depends on
exactly what its declaration names.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, NamedTuple


@dataclass(frozen=True)
class Result:
    """What `compute` returns for one input: JSON metadata and named files (bytes)."""
    meta: dict
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedModel:
    """What `compute` receives as its model: the backend object and how the site names it."""
    backend: Any
    label: str        # a hub id, a local directory as the manifest wrote it, or builtin:...
    revision: str
    is_model: bool    # False for the built-in describer/composer (their results are drafts)


@functools.lru_cache(maxsize=64)
def _frozen_dict(settings) -> dict:
    return dataclasses.asdict(settings)


def settings_dict(settings) -> dict:
    """`dataclasses.asdict` of a frozen settings object, made once per object (a build asks per artwork).
    A copy: callers may change it."""
    try:
        return dict(_frozen_dict(settings))
    except TypeError:  # not hashable: not frozen
        return dataclasses.asdict(settings)


def _each(function: Callable, items: list, model: LoadedModel | None = None) -> list[Result]:
    return [function(item) for item in items]


def per_item(function: Callable[[Any], Result]) -> Callable[[list, LoadedModel | None], list[Result]]:
    """A batch `compute` made of a function of one input (picklable when `function` is module-level)."""
    return functools.partial(_each, function)


class StageWarning(NamedTuple):
    message: str
    kind: str     # what the warnings of this kind say, for the line that counts those not shown one by one


class Stage:
    """Base of every stage declaration (see the module docstring). Subclasses set the class attributes and
    override the methods their stage needs; a stage module exposes one instance as `STAGE`."""
    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()
    model: ClassVar[str | None] = None
    # The upstream stages a result depends on when a real model (not the built-in) computes it; None: `needs`.
    needs_with_model: ClassVar[tuple[str, ...] | None] = None
    compute: ClassVar[Callable[[list, LoadedModel | None], list[Result]]]
    # Modules `compute` imports that must not be first imported on two threads at once (SciPy's submodules),
    # imported by the driver before the stage's first batch runs beside others (`executors.preload`).
    preload: ClassVar[tuple[str, ...]] = ()
    # Files of a result that the later stages of the same build read from memory and that are never written to
    # the cache: cheaper to compute again, in a later build that needs them, than to write and keep.
    transient_files: ClassVar[tuple[str, ...]] = ()

    @property
    def version(self) -> str:
        raise NotImplementedError

    def enabled(self, gallery) -> bool:
        """Whether the plan includes this stage for a gallery."""
        return True

    def key_needs(self, is_model: bool) -> tuple[str, ...]:
        return self.needs_with_model if is_model and self.needs_with_model is not None else self.needs

    def settings(self, gallery, art, model) -> Any:
        """The settings this artwork's result depends on (JSON-able); `model` is the ResolvedModel or None."""
        return None

    def source(self, gallery, art) -> str | None:
        """Content key of an input outside the cache (the artwork's file); None when there is none."""
        return None

    def given(self, art) -> Any:
        """A value the curator wrote that replaces this stage's result, or None."""
        return None

    def read_given(self, value) -> Any:
        raise NotImplementedError

    def inputs(self, gallery, art, upstream: dict[str, Any], model) -> Any:
        """What `compute` gets for this artwork: plain, picklable data built from the views of the stages it
        needs (`upstream`); `model` as for `settings`."""
        raise NotImplementedError

    def read(self, entry) -> Any:
        raise NotImplementedError

    def has_transient(self, entry) -> bool:
        """Whether a result (an `Entry`) still has its transient files: held, or stored by an older version."""
        return all(entry.has(name) for name in self.transient_files)

    def reads_transient(self, model) -> tuple[str, ...]:
        """The stages it needs whose transient files `inputs` reads (with this ResolvedModel or None): a later
        build that computes this stage computes those again first, together, as planned."""
        return ()

    def batch_size(self, gallery, model) -> int:
        """How many inputs one `compute` call takes when a real model runs (CPU work goes one by one)."""
        return 1

    def model_settings(self, gallery):
        """The manifest section of this stage's model (resolution and loading read it)."""
        return getattr(gallery, self.model)

    def model_options(self, gallery) -> dict:
        """More for the backend of a real model (keyword arguments of its class), e.g. the take ranker."""
        return {}

    def check_model_options(self, gallery, artworks, model) -> None:
        """Before any stage runs, with the real model that will run: raise ModelError when something named
        explicitly for it (e.g. a take ranker) is missing."""

    def check_result(self, meta: dict, files: dict) -> str | None:
        """What is wrong with a stored result (its result.json `meta` and `files`, name -> (size, sha256)),
        or None when it is what this stage writes. A result that fails is a cache miss, recomputed."""
        return None

    def details(self, view) -> dict | None:
        """Extra facts about a result for the build report (e.g. how a take was chosen)."""
        return None

    def warnings(self, gallery, art, view) -> list[StageWarning]:
        """What the curator should hear about this artwork's result on every build, computed or cached."""
        return []
