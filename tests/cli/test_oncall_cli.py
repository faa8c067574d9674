"""`drillkit oncall` on the sample plan, as a user runs it (a subprocess, a pipe)."""

from __future__ import annotations

import json
import subprocess
import sys


def drillkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drill", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_oncall_names_the_sample_duty_rota_its_override_and_who_is_away() -> None:
    # The sample's システム管理者 turns weekly on Mondays at 08:30 (渡辺 from 2026-01-26,
    # then 中村), 中村 covers the new year, and 伊藤 is away on business 1/18–1/22.
    done = drillkit("oncall", "--at", "2027-01-19T09:00", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["duty"] == [
        {
            "role": "sysadmin",
            "person": "nakamura-aya",
            "until": "2027-01-25T08:30:00+09:00",
            "next": "watanabe-kenji",
            "override": False,
            "away": None,
            "holiday": None,
            "deferred": None,
        }
    ]
    (away,) = found["away"]
    assert (away["person"], away["reason"], away["now"]) == ("ito-masaki", "出張", True)

    override = json.loads(drillkit("oncall", "--at", "2026-12-30T10:00", "--json").stdout)
    assert override["duty"][0]["person"] == "nakamura-aya"
    assert override["duty"][0]["override"] is True


def test_oncall_prints_a_table_in_japanese_and_refuses_a_bad_moment() -> None:
    done = drillkit("oncall", "--at", "2027-01-19T09:00")
    assert done.returncode == 0, done.stderr
    assert "システム管理者" in done.stdout and "中村 彩" in done.stdout
    assert "伊藤 正樹" in done.stdout and "出張" in done.stdout and "01/18 – 01/22" in done.stdout

    bad = drillkit("oncall", "--at", "next tuesday")
    assert bad.returncode == 2
    assert "2026-12-24T09:00" in bad.stderr  # says how to write it
    assert "Traceback" not in bad.stderr


def test_oncall_says_a_monday_holiday_moves_the_sample_rotas_handover() -> None:
    # The sample's rota skips holidays: on 成人の日 (Monday 11 January 2027) 中村 stays on
    # duty until Tuesday's 08:30, and the table says why.
    found = json.loads(drillkit("oncall", "--at", "2027-01-11T10:00", "--json").stdout)
    (duty,) = found["duty"]
    assert (duty["person"], duty["until"]) == ("nakamura-aya", "2027-01-12T08:30:00+09:00")
    assert duty["deferred"] == "成人の日" and duty["next"] == "watanabe-kenji"
    table = drillkit("oncall", "--at", "2027-01-11T10:00")
    assert table.returncode == 0, table.stderr
    assert "01/12 08:30（成人の日のため延期）" in table.stdout
    english = drillkit("oncall", "--at", "2027-01-11T10:00", "--lang", "en")
    assert "moved past 成人の日" in english.stdout
