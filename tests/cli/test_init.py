"""`drillkit init`: a skeleton plan that validates as it is, and a municipality's contact
list (Shift_JIS as Excel saves it, full-width digits, blank rows, a malformed number)
turned into a plan that validates, with every cell it could not read reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from drill.cli import cli
from drill.plan import load_plan

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CSV = REPO / "docs" / "examples" / "contacts.csv"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"DRILLKIT_LANG": "ja"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_skeleton_validates_strictly_and_runs_a_simulated_drill(tmp_path: Path) -> None:
    plan_dir = tmp_path / "my-plan"
    code, out, err = invoke("init", str(plan_dir), "--organisation", "例市")
    assert code == 0, err
    assert (plan_dir / "plan.yaml").read_text(encoding="utf-8").startswith("# 例市")
    code, out, err = invoke("validate", str(plan_dir), "--strict")
    assert code == 0, out + err
    assert "注意はありません。" in out
    plan = load_plan(plan_dir).plan
    assert plan.info.sample  # fictional numbers: no real provider takes the skeleton
    assert [r.deputies for r in plan.roles] == [("rei-hanako",)]
    code, out, err = invoke(
        "run", str(plan_dir / "scenarios" / "roll-call.yaml"), "--simulate", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "completed"


def test_an_existing_plan_is_not_overwritten_without_force(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path))[0] == 0
    code, _, err = invoke("init", str(tmp_path))
    assert code != 0 and "--force" in err and "Traceback" not in err
    assert invoke("init", str(tmp_path), "--force")[0] == 0


def _check_converted(plan_dir: Path, err: str) -> None:
    # Every cell it could not read, with its row and column (numbers masked).
    assert "6行目「電話」" in err and "095-***-*13" in err  # a digit short
    assert "8行目「代理」" in err and "北村 まさる" in err  # a deputy not in the list
    assert "8行目「携帯」" in err  # a landline in the mobile column: no SMS to it
    code, out, verr = invoke("validate", str(plan_dir))
    assert code == 0, out + verr
    plan = load_plan(plan_dir).plan
    assert not plan.info.sample
    people = {p.name: p for p in plan.people}
    assert len(people) == 6  # blank rows skipped, nobody lost
    yamakawa = people["山川 一郎"]
    # Full-width digits and hyphens read as people type them.
    assert [c.address for c in yamakawa.channels] == [
        "+81958291124",
        "+819012345678",
        "+819012345678",
        "yamakawa@city.example.lg.jp",
    ]
    # The malformed office number is left out; the mobile and e-mail are kept.
    assert [c.kind.value for c in people["林 大輔"].channels] == ["voice", "sms", "email"]
    assert people["大野 さくら"].channels[-1].address == "ohno@city.example.lg.jp"  # ＠
    roles = {r.name.ja: r for r in plan.roles}
    assert roles["システム管理者"].deputies == (people["林 大輔"].id, people["川口 花子"].id)
    assert set(roles) >= {"支所長（北支所）", "支所長（南支所）"}  # one role per 所属
    sites = {s.name.ja for s in plan.sites}
    assert sites == {"市民課", "情報政策課", "北支所", "南支所"}


def test_a_shift_jis_contact_list_becomes_a_plan_that_validates(tmp_path: Path) -> None:
    plan_dir = tmp_path / "city"
    code, out, err = invoke("init", str(plan_dir), "--from", str(SAMPLE_CSV))
    assert code == 0, err
    assert "6 人" in out and "空行 3 行" in out
    _check_converted(plan_dir, err)


def test_utf8_with_bom_reads_the_same(tmp_path: Path) -> None:
    text = SAMPLE_CSV.read_bytes().decode("cp932")
    source = tmp_path / "contacts-utf8.csv"
    source.write_bytes(text.encode("utf-8-sig"))
    code, _, err = invoke("init", str(tmp_path / "city"), "--from", str(source))
    assert code == 0, err
    _check_converted(tmp_path / "city", err)


def test_an_excel_workbook_reads_the_same(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    import csv

    book = openpyxl.Workbook()
    sheet = book.active
    rows = list(csv.reader(SAMPLE_CSV.read_bytes().decode("cp932").splitlines()))
    for row in rows:
        sheet.append(row)
    # A number typed into a number cell loses its leading 0: it is given back.
    sheet.cell(row=3, column=5).value = 958291125
    source = tmp_path / "contacts.xlsx"
    book.save(source)
    code, _, err = invoke("init", str(tmp_path / "city"), "--from", str(source))
    assert code == 0, err
    _check_converted(tmp_path / "city", err)
    plan = load_plan(tmp_path / "city").plan
    kawaguchi = next(p for p in plan.people if p.name == "川口 花子")
    assert kawaguchi.channels[0].address == "+81958291125"


def test_a_list_without_a_name_column_is_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("電話,メール\n095-829-1124,a@b.example\n", encoding="utf-8")
    code, _, err = invoke("init", str(tmp_path / "x"), "--from", str(source))
    assert code != 0
    assert "氏名" in err and "Traceback" not in err
    assert not (tmp_path / "x" / "plan.yaml").exists()


def test_the_sample_list_is_kept_as_shift_jis() -> None:
    # The example in docs/ is what Excel writes by default in Japan: CP932, CRLF.
    data = SAMPLE_CSV.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\r\n" in data


def test_the_converted_plan_runs_in_the_sandbox(tmp_path: Path) -> None:
    # The step between a simulated drill and a real one: the real channel code against
    # the loopback sandbox, whose simulated people answer for the plan's own numbers.
    plan_dir = tmp_path / "city"
    assert invoke("init", str(plan_dir), "--from", str(SAMPLE_CSV))[0] == 0
    code, out, err = invoke(
        "demo",
        "--headless",
        "--plan",
        str(plan_dir),
        "--scenario",
        "roll-call",
        "--speed",
        "900",
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "completed" and summary["contacts"] == 4
