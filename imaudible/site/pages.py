"""Rendering the pages from Jinja templates, in the sandbox.

The default theme's templates are the tool's own and render in this process. A gallery's own `templates/`
come from whoever made the gallery: they render in a child process (`python -m imaudible.site.pages`) with
a memory and a CPU-time limit, since the sandbox keeps a template from Python's internals but not from a
loop that never ends or a filter that fills the memory (`'a'|center(10**10)`, nested loops writing
gigabytes). Only the pages come back; the child writes nothing.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_TEMPLATE_VALUE = 10_000_000   # characters or items a template's '*' may make (a whole page is far less)
CHILD_MEMORY = 1 << 30            # bytes of address space a gallery's templates may take beyond the child's own
CHILD_CPU_SECONDS = 120           # CPU time they may take for the whole site
MAX_PAGE_BYTES = 64 << 20         # one page (the default theme's are kilobytes)


class TemplateError(Exception):
    """A template that cannot render (one line, naming the template)."""


@dataclass(frozen=True)
class Page:
    target: str        # path in the site
    template: str      # template name
    context: dict


@dataclass(frozen=True)
class Assets:
    """`asset(name)` in a template: the hashed file name of a static file."""
    names: dict

    def __call__(self, name: str) -> str:
        try:
            return self.names[name]
        except KeyError:
            raise TemplateError(f"templates ask for asset '{name}', which is not in the theme's static files") \
                from None


def render(folders: list[Path], pages: list[Page], isolated: bool) -> list[bytes]:
    """Each page rendered with the templates in `folders` (the first that has a name wins); `isolated`: in a
    child process with limits (a gallery's own templates). Raises TemplateError."""
    return _render_in_child(folders, pages) if isolated else _render_here(folders, pages)


def _render_here(folders: list[Path], pages: list[Page]) -> list[bytes]:
    env = _environment(folders)
    return [_render_one(env, page.template, page.context) for page in pages]


def _render_in_child(folders: list[Path], pages: list[Page]) -> list[bytes]:
    payload = pickle.dumps((folders, pages, CHILD_MEMORY, CHILD_CPU_SECONDS), protocol=pickle.HIGHEST_PROTOCOL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}   # this imaudible, not another
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=payload, capture_output=True, env=env,
                              timeout=2 * CHILD_CPU_SECONDS + 30)
    except subprocess.TimeoutExpired:
        raise TemplateError(_too_long()) from None
    except OSError as exc:
        raise TemplateError(f"cannot start the process that renders the gallery's templates: {exc}") from None
    try:
        status, value = pickle.loads(done.stdout)
    except Exception:  # no answer: the child was killed (the CPU limit sends SIGXCPU) or crashed
        if done.returncode in (-24, -9):
            raise TemplateError(_too_long()) from None
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise TemplateError(f"rendering the gallery's templates failed: {last[0]}") from None
    if status != "ok":
        raise TemplateError(value)
    return value


def _too_long() -> str:
    return (f"the gallery's templates ran for more than {CHILD_CPU_SECONDS} s of CPU time "
            "(a loop that does not end?); the site was not written")


def _environment(folders: list[Path]):
    import jinja2.sandbox

    class Sandbox(jinja2.sandbox.SandboxedEnvironment):
        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context, operator, left, right):
            sizes = [len(v) for v in (left, right) if isinstance(v, (str, list, tuple))]
            times = [abs(v) for v in (left, right) if isinstance(v, int)]
            if (operator == "*" and sizes and times and sizes[0] * max(times) > MAX_TEMPLATE_VALUE) \
                    or (operator == "**" and isinstance(right, (int, float)) and abs(right) > 64):
                raise jinja2.sandbox.SecurityError(f"the result of '{operator}' would be too large")
            return super().call_binop(context, operator, left, right)

    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)) for folder in folders])
    return Sandbox(loader=loader, autoescape=jinja2.select_autoescape(), undefined=jinja2.StrictUndefined,
                   keep_trailing_newline=True)


def tidy_html(html: str) -> str:
    """No trailing whitespace and no blank-line runs (what template indentation leaves behind); the pages
    pass html-validate's recommended rules."""
    lines = [line.rstrip() for line in html.split("\n")]
    return "\n".join(line for i, line in enumerate(lines) if line or (i and lines[i - 1]))


def _render_one(env, name: str, context: dict) -> bytes:
    import jinja2.sandbox

    try:
        html = env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name}: {exc.message}") from None
    except jinja2.sandbox.SecurityError as exc:
        raise TemplateError(f"template {name}: not allowed in a template: {exc}") from None
    except MemoryError:
        raise TemplateError(f"template {name}: uses more memory than a page may "
                            f"({CHILD_MEMORY >> 20} MiB); the site was not written") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:   # lipsum(min=1000), ...
        raise TemplateError(f"template {name}: {type(exc).__name__}: {exc}") from None
    if len(html) > MAX_PAGE_BYTES:
        raise TemplateError(f"template {name}: makes a page of over {MAX_PAGE_BYTES >> 20} MiB")
    return tidy_html(html).encode()


def _child() -> None:
    folders, pages, memory, cpu_seconds = pickle.loads(sys.stdin.buffer.read())
    _environment(folders)       # imports Jinja before the limits, which then count only what rendering takes
    _limit(memory, cpu_seconds)
    try:
        answer = ("ok", _render_here(folders, pages))
    except TemplateError as exc:
        answer = ("error", str(exc))
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


def _limit(memory: int, cpu_seconds: int) -> None:
    """The child's limits, where the system has them (no `resource` on Windows; address space from
    /proc on Linux: macOS does not enforce RLIMIT_AS anyway)."""
    try:
        import resource
    except ImportError:
        return
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    resource.setrlimit(resource.RLIMIT_AS, (used + memory, used + memory))


if __name__ == "__main__":
    _child()
