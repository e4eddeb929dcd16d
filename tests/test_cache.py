"""The cache: content keys, atomic results, recovery from leftovers, the build lock."""
from __future__ import annotations

import multiprocessing
import re
import time

import pytest

from imaudible.engine.cache import Cache, stage_key
from imaudible.engine.cache_lock import BuildLocked


def test_key_depends_on_every_part():
    base = stage_key("music", "1", "abc", {"seed": 1, "duration": 3})
    assert base == stage_key("music", "1", "abc", {"duration": 3, "seed": 1})  # dict order does not matter
    assert base != stage_key("music", "2", "abc", {"seed": 1, "duration": 3})
    assert base != stage_key("music", "1", "abd", {"seed": 1, "duration": 3})
    assert base != stage_key("music", "1", "abc", {"seed": 2, "duration": 3})
    assert base != stage_key("audio", "1", "abc", {"seed": 1, "duration": 3})


def test_put_get_roundtrip(tmp_path):
    cache = Cache(tmp_path / "c")
    assert cache.get("ingest", "ab" * 32) is None
    entry = cache.put("ingest", "ab" * 32, {"width": 3}, {"x.webp": b"123"})
    again = cache.get("ingest", "ab" * 32)
    assert again.meta == {"width": 3} and again.read("x.webp") == b"123" and again.path == entry.path


def test_corrupt_result_is_a_miss(tmp_path):
    cache = Cache(tmp_path / "c")
    entry = cache.put("mood", "cd" * 32, {"v": 1}, {})
    (entry.path / "result.json").write_text("{truncated")
    assert cache.get("mood", "cd" * 32) is None
    assert cache.put("mood", "cd" * 32, {"v": 1}, {}).meta == {"v": 1}


def test_leftovers_of_a_killed_build_are_swept(tmp_path):
    cache = Cache(tmp_path / "c")
    half = cache.tmp / "music-deadbeef-xyz"
    half.mkdir(parents=True)
    (half / "clip.bin").write_bytes(b"half a clip")
    with cache.lock():
        assert not half.exists()
    assert cache.get("music", "de" * 32) is None


def test_recorded_revisions(tmp_path):
    cache = Cache(tmp_path / "c")
    assert cache.recorded_revisions() == {}
    cache.record_revision("facebook/musicgen-small", "a" * 40)
    assert Cache(tmp_path / "c").recorded_revisions() == {"facebook/musicgen-small": "a" * 40}


def _hold_lock(root, ready, seconds):
    with Cache(root).lock():
        ready.set()
        time.sleep(seconds)


def test_lock_excludes_a_second_build(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(tmp_path / "c", ready, 1.5))
    holder.start()
    assert ready.wait(30)
    # the waiter is told who holds it: a build stuck in CI is found by its pid
    signed = rf" \(pid {holder.pid} on [A-Za-z0-9.-]+ since \d\d:\d\d:\d\d\)"
    with pytest.raises(BuildLocked, match=signed + "$"):
        with Cache(tmp_path / "c").lock(timeout=0.3):
            pass
    waited = []
    started = time.monotonic()
    with Cache(tmp_path / "c").lock(on_wait=waited.append):
        elapsed = time.monotonic() - started
    holder.join()
    assert len(waited) == 1 and elapsed > 0.2
    assert re.fullmatch("waiting for another build of this gallery to finish" + signed + r"\.\.\.", waited[0])


def test_a_lock_file_holding_anything_else_names_no_holder(tmp_path):
    """The lock file comes with a cache from elsewhere: what it holds is shown only when it is a signature."""
    root = tmp_path / "c"
    root.mkdir()
    (root / "lock").write_text("1 \x1b]0;owned\x07 12:00:00\n")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock_unsigned, args=(root, ready, 1.0))
    holder.start()
    assert ready.wait(30)
    with pytest.raises(BuildLocked) as raised:
        with Cache(root).lock(timeout=0.2):
            pass
    holder.join()
    assert str(raised.value) == f"another build holds {root / 'lock'}"


def _hold_lock_unsigned(root, ready, seconds):
    import fcntl

    with open(root / "lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        ready.set()
        time.sleep(seconds)


def test_a_lock_file_linked_while_a_build_holds_it_still_excludes_the_next_build(tmp_path):
    """A second name for the lock file of a running build (`cp -al` of the gallery, a backup by hard links)
    had the next build replace that file at once and lock the new one: two builds of one gallery ran at once.
    It is replaced only once free, and the other name keeps its bytes."""
    import os

    root = tmp_path / "c"
    with Cache(root).lock():
        os.link(root / "lock", tmp_path / "twin")
        twin = (tmp_path / "twin").read_bytes()
        with pytest.raises(BuildLocked):
            with Cache(root).lock(timeout=0.3):
                pass
        assert os.path.samefile(root / "lock", tmp_path / "twin")
    with Cache(root).lock():
        assert os.lstat(root / "lock").st_nlink == 1 and not os.path.samefile(root / "lock", tmp_path / "twin")
        with pytest.raises(BuildLocked):          # and the new file is the lock
            with Cache(root).lock(timeout=0.3):
                pass
    assert (tmp_path / "twin").read_bytes() == twin


def test_put_keeps_an_existing_result_unless_replacing(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.put("music", "ef" * 32, {"take": 1}, {"clip.bin": b"first"})
    kept = cache.put("music", "ef" * 32, {"take": 2}, {"clip.bin": b"second"})
    assert kept.read("clip.bin") == b"first" and kept.meta == {"take": 1}
    replaced = cache.put("music", "ef" * 32, {"take": 3}, {"clip.bin": b"third"}, replace=True)
    assert replaced.read("clip.bin") == b"third" and cache.get("music", "ef" * 32).meta == {"take": 3}


def test_a_put_after_its_folder_was_removed_makes_it_again(tmp_path):
    """The cache remembers the folders its puts made (a mkdir and a lstat per result were ~8% of the driver's
    time); one removed since (`clean --unused` in the same process) is made again, never a failed write."""
    import shutil

    cache = Cache(tmp_path / "c")
    cache.put("mood", "ab" + "0" * 62, {"v": 1}, {})
    shutil.rmtree(tmp_path / "c" / "objects" / "mood" / "ab")
    shutil.rmtree(tmp_path / "c" / "tmp")
    entry = cache.put("mood", "ab" + "1" * 62, {"v": 2}, {"x.bin": b"x"})
    assert entry.meta == {"v": 2} and cache.get("mood", "ab" + "1" * 62).read("x.bin") == b"x"


@pytest.mark.parametrize("points_to", ["a stored result", "nothing"])
@pytest.mark.parametrize("replace", [False, True])
def test_a_put_onto_a_symlink_in_place_of_its_folder_removes_the_link_and_stores_the_result(tmp_path, points_to,
                                                                                          replace):
    """A link planted where a result's folder goes (between the build's lookup and its write) is never kept
    as the result, nor written or deleted through: `put` renames onto it, which fails, then removes the link
    alone. The folder it points to is left as it was."""
    cache, key = Cache(tmp_path / "c"), "ab" * 32
    elsewhere = Cache(tmp_path / "elsewhere").put("mood", key, {"v": "forged"}, {"x.bin": b"forged"})
    target = elsewhere.path if points_to == "a stored result" else tmp_path / "gone"
    cache.put("mood", "ab" + "0" * 62, {"v": 0}, {})            # the folders above exist, as in a build
    (cache.objects / "mood" / "ab" / key).symlink_to(target)
    entry = cache.put("mood", key, {"v": "ours"}, {"x.bin": b"ours"}, replace=replace)
    folder = cache.objects / "mood" / "ab" / key
    assert not folder.is_symlink() and folder.is_dir() and entry.path == folder
    assert entry.read("x.bin") == b"ours" and cache.get("mood", key).meta == {"v": "ours"}
    assert points_to == "nothing" or (elsewhere.read("x.bin") == b"forged"
                                      and Cache(tmp_path / "elsewhere").get("mood", key).meta == {"v": "forged"})


def test_puts_stage_each_result_in_a_folder_of_its_own_with_the_usual_permissions(tmp_path):
    """Staging folders are named by process and a count, not at random: one left by a killed process with
    the same number is passed over, and none is private (0700) as `mkdtemp` made them."""
    import os

    from imaudible.engine.atomic import DIR_MODE
    from imaudible.engine import cache as cache_module

    cache = Cache(tmp_path / "c")
    cache.put("mood", "cd" * 32, {"v": 1}, {})
    upcoming = next(cache_module._STAGING_NUMBERS) + 1
    (cache.tmp / f"mood-{'ef' * 6}-{os.getpid()}-{upcoming}").mkdir()
    entry = cache.put("mood", "ef" * 32, {"v": 2}, {"x.bin": b"x"})
    assert entry.read("x.bin") == b"x" and (entry.path.stat().st_mode & 0o777) == DIR_MODE
    assert [p.name for p in cache.tmp.iterdir()] == [f"mood-{'ef' * 6}-{os.getpid()}-{upcoming}"]
