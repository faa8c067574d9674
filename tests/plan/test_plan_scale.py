"""Large plans: a generated nationwide plan loads clean, and the shortcuts that make it fast
(reading plain YAML straight from the parser's events, checking each e-mail domain once)
give the same values, lines and errors as the careful way."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from email_validator import EmailNotValidError, validate_email

from drill.plan import PlanError, load_plan
from drill.plan.contact import normalise_address
from tests.generated import generator

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


def test_the_generated_nationwide_plan_loads_without_a_finding(tmp_path: Path) -> None:
    written = generator().write_plan(1_200, tmp_path)
    loaded = load_plan(tmp_path)
    assert loaded.findings == ()
    assert len(loaded.plan.people) == written["people"] == 1_200
    assert len(loaded.plan.roles) == written["contacts"] == 600
    chief = next(role for role in loaded.plan.roles if role.id.endswith("-chief"))
    assert chief.holder is not None
    assert loaded.plan.roles_of(chief.holder) == (chief,)
    assert [p.id for p in loaded.plan.candidates(chief.id)] == [chief.holder, *chief.deputies]


def test_an_error_deep_in_a_large_file_names_its_own_line(tmp_path: Path) -> None:
    generator().write_plan(1_200, tmp_path)
    file = sorted((tmp_path / "contacts").glob("*kanto-south*.yaml"))[0]
    lines = file.read_text(encoding="utf-8").splitlines()
    emails = [n for n, line in enumerate(lines) if line.startswith("      - email: ")]
    target = emails[len(emails) // 2]
    lines[target] = "      - email: not-an-address"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PlanError) as raised:
        load_plan(tmp_path)
    (finding,) = raised.value.findings
    assert finding.code == "DK-E012"
    assert finding.file == file and finding.line == target + 1


@pytest.mark.parametrize("alias", [False, True], ids=["plain file", "file with an alias"])
def test_a_number_written_with_a_plus_stays_a_phone_number(tmp_path: Path, alias: bool) -> None:
    # An anchor and alias send the file down the careful reader; both read +81… as text.
    root = tmp_path / "plan"
    shutil.copytree(MINIMAL, root)
    people = root / "contacts" / "people.yaml"
    text = people.read_text(encoding="utf-8")
    new = "      - voice: +81950000002"
    if alias:
        new = "      - voice: &desk +81950000002\n      - sms: 090-0000-0009\n        label: *desk"
    people.write_text(text.replace("      - voice: 095-000-0002", new, 1), encoding="utf-8")
    person = load_plan(root).plan.person("suzuki")
    assert person.channels[0].address == "+81950000002"


LOCALS = ["a", "Abc", "a.b", "a..b", ".a", "a.", "a+b", "o'neil", "a b", '"a b"', "ñ", "a" * 65]
DOMAINS = [
    "example.com",
    "Example.COM",
    "town.example",
    "localhost",
    "a.test",
    "a.123",
    "b..c",
    "-a.example",
    "münchen.example",
    "xn--mnchen-3ya.example",
    "a" * 64 + ".example",
    ("b" * 60 + ".") * 4 + "example",
    "[127.0.0.1]",
]


@pytest.mark.parametrize(
    "address", [f"{local}@{domain}" for local, domain in itertools.product(LOCALS, DOMAINS)]
)
def test_addresses_are_normalised_exactly_as_email_validator_does(address: str) -> None:
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        with pytest.raises(ValueError, match="is not a valid e-mail address"):
            normalise_address(address)
        return
    assert normalise_address(address) == expected


def _findings_and_plan(root: Path) -> tuple[list[str], str | None]:
    try:
        loaded = load_plan(root)
    except PlanError as exc:
        return [repr(f) for f in exc.findings], None
    return [repr(f) for f in loaded.findings], repr(loaded.plan)


EDITS = {
    "clean": lambda lines: lines,
    "bad address late": lambda lines: [
        "      - email: not-an-address" if line.startswith("      - email: ") else line
        for line in lines
    ],
    "alias": lambda lines: [
        *lines[:3],
        "# an anchor sends the file down the careful reader",
        *[line.replace("label: 携帯", "label: &m 携帯", 1) for line in lines[3:20]],
        *lines[20:],
    ],
    "syntax error": lambda lines: [*lines, "  - [unclosed"],
    "date": lambda lines: [line.replace("label: 携帯", "label: 2024-01-02") for line in lines],
    "empty": lambda lines: [],
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_large_plan_read_on_two_cores_gives_what_one_core_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    # The worker that parses a large plan's later contacts files must change nothing the
    # user sees: the same findings, lines and plan, whatever a file it parses holds.
    from drill.plan import second_core as prefetch

    generator().write_plan(1_200, tmp_path)
    late = sorted((tmp_path / "contacts").glob("*.yaml"))[-2]
    lines = late.read_text(encoding="utf-8").splitlines()
    late.write_text("\n".join(EDITS[edit](lines)) + "\n", encoding="utf-8")
    monkeypatch.setattr(prefetch, "_cores", lambda: 1)
    alone = _findings_and_plan(tmp_path)
    monkeypatch.setattr(prefetch, "_cores", lambda: 2)
    monkeypatch.setattr(prefetch, "_MIN_BYTES", 0)
    taken: list[Path] = []
    take = prefetch.Prefetch.take

    def noting(self: prefetch.Prefetch, file: Path) -> object:
        document = take(self, file)
        if document is not None:
            taken.append(file)
        return document

    monkeypatch.setattr(prefetch.Prefetch, "take", noting)
    assert _findings_and_plan(tmp_path) == alone
    assert taken  # the worker did parse some of the files
    assert (late in taken) == (edit not in ("alias", "syntax error"))  # those: read again


@pytest.mark.parametrize("edit", ["warnings", "reference errors"])
def test_the_lint_run_beside_the_cross_file_checks_finds_what_it_finds_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    # A large plan's lint runs in a forked child while the loader checks references: the
    # warnings (and, with errors, their absence) must be the same as in one process.
    from drill.plan import loader, second_core

    generator().write_plan(1_200, tmp_path)
    for file in sorted((tmp_path / "contacts").glob("*.yaml")):
        text = file.read_text(encoding="utf-8")
        if edit == "warnings":  # every fifth address shared: warnings in every file
            lines = text.splitlines()
            emails = [n for n, line in enumerate(lines) if line.startswith("      - email: ")]
            for n in emails[::5]:
                lines[n] = "      - email: shared@town.example"
            text = "\n".join(lines) + "\n"
        else:
            text = text.replace("holder: ", "holder: nobody-", 1)
        file.write_text(text, encoding="utf-8")
    monkeypatch.setattr(second_core, "_cores", lambda: 1)
    alone = _findings_and_plan(tmp_path)
    monkeypatch.setattr(second_core, "_cores", lambda: 2)
    monkeypatch.setattr(loader, "_LINT_ASIDE", 0)
    started: list[object] = []
    start = second_core.Aside.start.__func__  # type: ignore[attr-defined]

    def noting(cls: type, work: object) -> object:
        aside = start(cls, work)
        started.append(aside)
        return aside

    monkeypatch.setattr(second_core.Aside, "start", classmethod(noting))
    assert _findings_and_plan(tmp_path) == alone
    assert started and started[0] is not None
    if edit == "warnings":
        assert any("DK-W003" in f for f in alone[0])
    else:
        assert alone[1] is None and any("DK-E007" in f for f in alone[0])


def test_taken_ids_are_reported_in_file_order_and_placed_where_they_were_written(
    tmp_path: Path,
) -> None:
    # The ids of each contacts file are noted as soon as it is read; the errors of ids
    # already taken still come where they always did: after every file's own errors and
    # after plan.yaml's, each at its own line even in a file salvaged without a broken
    # entry written before it.
    plan = tmp_path / "plan"
    shutil.copytree(MINIMAL, plan)
    site = "  - id: south\n    name: 南支所\n"
    plan_file = plan / "plan.yaml"
    plan_file.write_text(plan_file.read_text(encoding="utf-8").replace(site, site * 2), "utf-8")
    people = plan / "contacts" / "people.yaml"
    broken = "  - id: ghost\n    name: 幽霊\n    channels:\n      - voice: 123\n"
    again = "  - id: sato\n    name: 佐藤 二郎\n    channels:\n      - voice: 095-000-0009\n"
    text = people.read_text(encoding="utf-8").replace("people:\n", "people:\n" + broken, 1)
    people.write_text(text + again, encoding="utf-8")
    scenario = plan / "scenarios" / "theft.yaml"
    scenario.write_text(
        scenario.read_text(encoding="utf-8").replace("kind: incident", "kind: incidnet"),
        encoding="utf-8",
    )
    with pytest.raises(PlanError) as raised:
        load_plan(plan)
    found = [(f.code, f.file and f.file.name, f.line, f.key) for f in raised.value.findings]
    sato = _lines_of(people, "  - id: sato")
    south = _lines_of(plan_file, "  - id: south")
    assert found[:4] == [
        ("DK-E011", "people.yaml", sato[0] - 1, "people[0].channels[0].voice"),
        ("DK-E006", "theft.yaml", 1, "kind"),
        ("DK-E008", "plan.yaml", south[1], "sites[2].id"),
        ("DK-E008", "people.yaml", sato[1], "people[7].id"),
    ]
    assert f"people.yaml:{sato[0]}" in raised.value.findings[3].message


def _lines_of(file: Path, text: str) -> list[int]:
    lines = file.read_text(encoding="utf-8").splitlines()
    return [n + 1 for n, line in enumerate(lines) if line == text]


def test_the_two_parts_of_the_lint_are_the_whole_lint_in_order(tmp_path: Path) -> None:
    from drill.plan.lint import lint_plan

    generator().write_plan(1_200, tmp_path)
    for file in sorted((tmp_path / "contacts").glob("*.yaml")):
        lines = file.read_text(encoding="utf-8").splitlines()
        emails = [n for n, line in enumerate(lines) if line.startswith("      - email: ")]
        for n in emails[::7]:
            lines[n] = "      - email: shared@town.example"  # DK-W003, in the first part
        sms = [n for n, line in enumerate(lines) if line.startswith("      - sms: ")]
        for n in sms[::9]:
            lines[n] = "      - sms: 095-000-0001"  # a landline: DK-W009, in the second
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_plan(tmp_path, lint=False)
    first = lint_plan(loaded.plan, loaded.locator, part=0)
    second = lint_plan(loaded.plan, loaded.locator, part=1)
    assert {f.code for f in first} >= {"DK-W003"}
    assert {f.code for f in second} >= {"DK-W009"}
    assert [*first, *second] == lint_plan(loaded.plan, loaded.locator)
