"""Every generated page passes html-validate's recommended rules (the npm devDependency, run through its
own CLI with the repository's .htmlvalidate.json) with zero errors."""
from __future__ import annotations

import json
import subprocess

import pytest

from .conftest import REPO

VALIDATE = REPO / "node_modules" / ".bin" / "html-validate"


def test_generated_pages_pass_html_validate(built_site):
    if not VALIDATE.exists():
        pytest.skip("html-validate is not installed: run `npm ci` in the repository root")
    pages = sorted(str(p) for p in built_site.rglob("*.html"))
    assert len(pages) >= 4
    done = subprocess.run([str(VALIDATE), "--formatter=json", "--config", str(REPO / ".htmlvalidate.json"), *pages],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    results = json.loads(done.stdout or "[]")
    problems = [f"{r['filePath']}:{m['line']}:{m['column']} {m['ruleId']}: {m['message']}"
                for r in results for m in r["messages"] if m["severity"] >= 2]
    assert not problems, "\n".join(problems)
    assert done.returncode == 0, done.stderr
