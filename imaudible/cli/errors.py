"""The command line's one error type and the one mapping from what can go wrong to exit codes.

Exit codes: 0 built; 1 some artworks failed (the rest are built); 2 usage, manifest or configuration error
(when found before the stages run, nothing is written, the cache included); 3 the build itself failed (an
internal error, a disk that cannot be written); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM); 141, silently,
when the program reading the output stops reading (`| head`).
"""
from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
import traceback
from typing import Callable, TypeVar

import click

from ..progress import printable
from .where import at_setting

EXIT_FAILED, EXIT_USAGE, EXIT_BUILD_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 3, 130, 143
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())   # click >= 8.2

T = TypeVar("T")


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI time limit, `kill`, a service manager), raised where Ctrl-C raises KeyboardInterrupt, so
    that a command ends the same way: what was finished is kept, temporary files and workers are cleaned up,
    one line is said. (Its default action ended the process on the spot, silently.)"""


def _terminate(signum, frame):
    raise Terminated()


def _on_sigterm(handler):
    """Install `handler` for SIGTERM (from the main thread only); returns the one it replaces."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler if handler is not None else signal.SIG_DFL)


class CliError(click.ClickException):
    """A one-line error, printed as `error: ...`, with exit code 2 (configuration) unless told otherwise."""
    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None):
        click.echo(printable(f"error: {self.message}"), err=True)


def guarded(fn: Callable[[], T], verbose: bool = False, gallery=None) -> T:
    """Run a command body, turning every known error into a one-line `CliError` (a model error points at the
    line of `gallery`'s manifest that names the model)."""
    from ..engine.cache_lock import BuildLocked, CacheUnwritable
    from ..engine.plan import PlanError
    from ..engine.executors import RayUnavailable
    from ..image_checks import ImageError
    from ..manifest import ManifestError
    from ..models import ModelError
    from ..site import SiteError
    from ..types import CacheWriteFailed

    try:
        return fn()
    except ManifestError as exc:   # thousands of problems: the first ones tell what to fix
        *first, last = exc.lines()
        for line in first:
            click.echo(printable(f"error: {line}"), err=True)
        raise CliError(last) from None
    except ModelError as exc:
        raise CliError(at_setting(gallery, exc.setting, str(exc).strip())) from None
    except (SiteError, BuildLocked, ImageError, CacheUnwritable, PlanError, RayUnavailable) as exc:
        raise CliError(str(exc).strip()) from None
    except CacheWriteFailed as exc:
        raise CliError(str(exc), exit_code=EXIT_BUILD_FAILED) from None
    except Terminated:
        raise CliError("terminated; everything finished so far is cached and the next build picks up from there",
                       exit_code=EXIT_TERMINATED) from None
    except KeyboardInterrupt:
        raise CliError("interrupted; everything finished so far is cached and the next build picks up from there",
                       exit_code=EXIT_INTERRUPTED) from None
    except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
        raise   # BrokenPipeError: the reader of the output left (`| head`); `ErrorPrintingGroup.main` ends quietly
    except OSError as exc:   # read or write: the error does not say which, so neither does the message
        named = exc.filename2 or exc.filename   # a rename's target: its source is a temporary name
        where = f" '{named}'" if named else ""
        if exc.errno in _DISK_FULL:   # only a write fails so, and what to do about it is not in the words
            raise CliError(f"cannot write{where}: {exc.strerror}; the disk is full: free some space and run it "
                           "again (everything finished so far is kept)", exit_code=EXIT_BUILD_FAILED) from None
        if exc.errno == errno.EFBIG:  # a write past the file system's or the process's (ulimit -f) file size
            raise CliError(f"cannot write{where}: {exc.strerror}; the file system or a limit on file size "
                           "(ulimit -f) allows no file this large (everything finished so far is kept)",
                           exit_code=EXIT_BUILD_FAILED) from None
        raise CliError(f"cannot access{where}: {exc.strerror or exc}", exit_code=EXIT_BUILD_FAILED) from None
    except UnicodeEncodeError as exc:   # a name or text this system's locale cannot spell: no bug of ours
        raise CliError(_unspellable(exc), exit_code=EXIT_BUILD_FAILED) from None
    except Exception as exc:  # noqa: BLE001 - never show a traceback unless asked
        offers_verbose = _command_offers_verbose()
        if verbose or offers_verbose is True:
            traceback.print_exc()
        hint = "run with --verbose for details" if offers_verbose is not False else "a bug: please report it"
        raise CliError(f"internal error: {type(exc).__name__}: {exc} ({hint})", exit_code=EXIT_BUILD_FAILED) from None


def _command_offers_verbose() -> bool | None:
    """True when the running command was given --verbose, False when it has no such option (so an error
    must not tell to use it), None when it has one, not given, or no command runs (`guarded` called directly).
    Read from click's context, so that every `guarded` of a command honours it, not only the outermost."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    if any(param.name == "verbose" for param in ctx.command.params):
        return True if ctx.params.get("verbose") else None
    return False


def _unspellable(exc: UnicodeEncodeError) -> str:
    """A file name or text the locale's encoding (LANG=C without UTF-8, a Latin-1 locale) has no bytes for."""
    text = exc.object if isinstance(exc.object, str) else ""
    shown = text if len(text) <= 120 else text[:117] + "..."
    return (f"cannot handle '{shown}': this system's text encoding ({exc.encoding}, from its locale) cannot "
            f"write {text[exc.start:exc.end]!r}; run with a UTF-8 locale (e.g. LANG=C.UTF-8 or PYTHONUTF8=1)")


class ErrorPrintingGroup(click.Group):
    """Prints every error, click's usage errors included, as `error: ...` on one line; whatever a command
    lets escape goes through `guarded` too, so no command can end in a traceback."""

    def invoke(self, ctx):
        verbose = bool({"-v", "--verbose"} & set(ctx.args))
        return guarded(lambda: super(ErrorPrintingGroup, self).invoke(ctx), verbose)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        previous = _on_sigterm(_terminate)
        try:
            try:
                self._main(args, prog_name, complete_var, **extra)
            except SystemExit:
                if _output_unread():   # click turned a broken pipe into exit 1, its way
                    _reader_left()
                sys.stdout.flush()   # here, not at exit, where a reader that left is an "Exception ignored"
                raise
        except BrokenPipeError:
            _reader_left()
        finally:
            _on_sigterm(previous)

    def _main(self, args, prog_name, complete_var, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_ARGS_IS_HELP as exc:    # a bare group (`imaudible-site models`): its help, not as an error
            click.echo(printable(exc.ctx.get_help() if exc.ctx else exc.format_message(), lines=True))
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "imaudible-site"
            click.echo(printable(f"error: {exc.format_message()} (see `{command} --help`)"), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(printable(f"error: {exc.format_message()}"), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("error: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


def _reader_left() -> None:
    """The program reading the output stopped early (`imaudible-site models list | head -3`): not an error of
    ours, so nothing is said; exit as a program killed by SIGPIPE does, which is what a shell expects."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # the final flush must not fail again
    sys.exit(EXIT_BROKEN_PIPE)


def _output_unread() -> bool:
    """Whether standard output is a pipe whose reading end is closed (poll flags that as an error)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.__stdout__.fileno(), select.POLLERR)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):   # no stdout, or no poll on this system
        return False
