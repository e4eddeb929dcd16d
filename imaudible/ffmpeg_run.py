"""Running the ffmpeg binary shipped by `imageio-ffmpeg`, for `audio.py`: local files and pipes only, and a
decode whose output is bounded. Decoded audio comes from files a gallery may ship (its cache), and a few
kilobytes of compressed silence can decode to gigabytes (64 channels, or a high rate, for ten minutes): a
decode that passes its bound is stopped there, never collected whole."""
from __future__ import annotations

import subprocess
import tempfile
import threading
from functools import lru_cache

_CHUNK = 1 << 20


class AudioError(RuntimeError):
    """Audio that cannot be finished, stored, encoded or decoded (one-line message)."""


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise AudioError("ffmpeg: the imageio-ffmpeg package is not installed") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], stdin: bytes | None, what: str, pass_fds: tuple[int, ...] = (),
               max_output: int | None = None, too_much: str = "") -> bytes:
    """ffmpeg's standard output for `args`; AudioError naming `what` when it fails, or (with `max_output`)
    when it writes more than that many bytes: then it is killed, and `too_much` says why."""
    # local files and pipes only, also for what an input names inside it (a playlist, a concat list)
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-protocol_whitelist", "file,pipe", *args]
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=errors, pass_fds=pass_fds)
        except OSError as exc:
            raise AudioError(f"{what}: cannot run ffmpeg ({exc})") from exc
        feeder = threading.Thread(target=_feed, args=(proc, stdin), daemon=True) if stdin is not None else None
        if feeder:
            feeder.start()
        out = bytearray()
        try:
            while chunk := proc.stdout.read(_CHUNK):
                out += chunk
                if max_output is not None and len(out) > max_output:
                    raise AudioError(f"{what}: {too_much or f'decodes to more than {max_output:,} bytes'}")
        except BaseException:
            proc.kill()
            raise
        finally:
            proc.stdout.close()
            proc.wait()
            if feeder:
                feeder.join()
        if proc.returncode != 0:
            errors.seek(0)
            lines = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise AudioError(f"{what}: ffmpeg failed ({lines[-1] if lines else f'exit {proc.returncode}'})")
    return bytes(out)


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        proc.stdin.write(data)
    except (BrokenPipeError, OSError, ValueError):   # ffmpeg stopped reading (it failed, or was killed)
        pass
    finally:
        try:
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
