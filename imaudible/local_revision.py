"""The revision of a model in a local directory: a hash of its config, tokenizer and weight files (big
files hashed once, then remembered by their stat in ~/.cache/imaudible/file-hashes.json)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .engine.atomic import atomic_write
from .engine.stat_rule import known_by

# chat templates too: transformers saves them as chat_template.jinja (and additional_chat_templates/*.jinja),
# and they change what a chat model answers
_HASHED = ("*.json", "*.safetensors", "*.txt", "*.model", "*.bin", "tokenizer*", "*.jinja",
           "additional_chat_templates/*.jinja")


def local_revision(folder: Path) -> str:
    """A local model directory's revision: the hash of its config, tokenizer and weight files."""
    files = sorted({p for pattern in _HASHED for p in folder.glob(pattern) if p.is_file()})
    memo = _HashMemo()
    total = hashlib.sha256()
    for f in files:
        total.update(f"{f.relative_to(folder).as_posix()}\0{f.stat().st_size}\0{memo.file_sha256(f)}\n".encode())
    memo.save()
    return total.hexdigest()


class _HashMemo:
    """Content hashes of big files, remembered by path and stat (`stat_rule.known_by`) so weights are hashed once."""

    def __init__(self) -> None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        self.path = Path(base) / "imaudible" / "file-hashes.json"
        try:
            self.entries: dict[str, list] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def file_sha256(self, f: Path) -> str:
        st = f.stat()
        key, stamp = str(f.resolve()), list(known_by(st))
        hit = self.entries.get(key)
        if isinstance(hit, list) and hit[:-1] == stamp:
            return hit[-1]
        digest = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        self.entries[key] = [*stamp, digest.hexdigest()]
        self.changed = True
        return digest.hexdigest()

    def save(self) -> None:
        if not self.changed:
            return
        try:
            atomic_write(self.path, json.dumps(self.entries, allow_nan=False).encode(), durable=False)
        except OSError:
            pass  # a read-only home only costs re-hashing next time
