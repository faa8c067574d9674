"""What a newcomer reads from `make demo` in a pipe: Japanese lines without English words,
no warning that does not apply to the sandbox, and each thing said once.

The demo runs the real channel code against the loopback sandbox, with no link-signing
key configured: the sandbox keys its own links, so the "no link-signing key" warning (for
real drills) must not appear; a page the sandbox refuses (an invalid number, Twilio error
21211) is a progress line in Japanese, never an English log line on stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from drill.plan import load_plan, sample_plan_dir
from drill.words import words

pytestmark = pytest.mark.slow

_LATIN = re.compile(r"[A-Za-z][A-Za-z-]*")
_ALLOWED = {"SMS", "ID", "J-LIS", "CS", "Twilio", "API", "SMTP", "STARTTLS", "T"}
"""Product names and codes a Japanese line may hold (T as in T+05:00)."""
_MACHINE = re.compile(r"https?://\S+|/\S+|\d{8}-\d{4}-[0-9a-f]{4}")
"""URLs, paths and drill ids: addresses, not words."""


def test_the_demo_in_a_pipe_speaks_japanese_and_warns_of_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DRILLKIT_LINK_KEY"}
    env["DRILLKIT_LANG"] = "ja"
    done = subprocess.run(
        [sys.executable, "-m", "drill", "demo", "--headless", "--speed", "600"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", f"the demo warned:\n{done.stderr}"
    lines = done.stdout.splitlines()
    # People are named as the plan names them (the vendor's Daniel Carter included).
    names = [p.name for p in load_plan(sample_plan_dir(), lint=False).plan.people]
    for line in lines:
        plain = _MACHINE.sub("", line)
        for name in names:
            plain = plain.replace(name, "")
        latin = set(_LATIN.findall(plain)) - _ALLOWED
        assert not latin, f"English words in a Japanese line: {latin}: {line!r}"
    sandbox = [line for line in lines if line.startswith("サンドボックス")]
    assert len(sandbox) == 1, done.stdout
    w = words("ja")
    assert any(w.who("simulated operator") in line for line in lines)  # 模擬の実施者
    assert sum(line.startswith("報告書: ") for line in lines) == 3
    assert "（完了）" not in done.stdout and "completed" not in done.stdout
