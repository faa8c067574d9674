"""One bad fixture per error and per lint finding: the right code, file and line."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from drill.plan import Finding, PlanError, Severity, load_plan
from drill.words.findings import finding_words

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"


@dataclass(frozen=True)
class Case:
    """Edit `file` (replace `old` with `new`); expect `code` at the line holding `mark`."""

    code: str
    file: str
    old: str
    new: str
    mark: str
    says: str = ""
    at_file: str | None = None
    nth: int = 0


def make_plan(tmp_path: Path, file: str | None = None, old: str = "", new: str = "") -> Path:
    root = tmp_path / "plan"
    shutil.copytree(MINIMAL, root)
    if file is not None:
        target = root / file
        text = target.read_text(encoding="utf-8")
        assert old in text, f"fixture edit does not apply: {old!r}"
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return root


def line_of(root: Path, file: str, mark: str, nth: int = 0) -> int:
    """The line holding `mark` (lines ending with it win; `nth` picks among repeats)."""
    lines = (root / file).read_text(encoding="utf-8").splitlines()
    hits = [n for n, line in enumerate(lines, 1) if mark in line]
    exact = [n for n in hits if lines[n - 1].rstrip().endswith(mark)]
    chosen = exact or hits
    assert chosen, f"{mark!r} not in {file}"
    return chosen[nth]


def findings_for(root: Path) -> list[Finding]:
    try:
        return list(load_plan(root).findings)
    except PlanError as exc:
        return list(exc.findings)


ERRORS = [
    Case(
        "DK-E002",
        "contacts/people.yaml",
        "    name: 鈴木 花子",
        "    name: [鈴木",
        "[鈴木",
        "YAML syntax",
    ),
    Case(
        "DK-E003",
        "contacts/people.yaml",
        "    name: 高橋 次郎",
        "    name: !!python/object/apply:os.system ['echo hi']",
        "python/object",
        "not allowed",
    ),
    Case(
        "DK-E004",
        "contacts/people.yaml",
        "    channels:\n      - voice: 095-000-0003",
        "    chanels:\n      - voice: 095-000-0003",
        "chanels",
        "did you mean 'channels'",
    ),
    Case(
        "DK-E004",
        "contacts/trees.yaml",
        "        ack_timeout_minutes: 1\n        retries: 0\n        channels: [voice, sms]",
        "        ack_timeout: 1\n        retries: 0\n        channels: [voice, sms]",
        "ack_timeout:",
        "did you mean 'ack_timeout_minutes'",
    ),
    Case("DK-E005", "scenarios/theft.yaml", "kind: incident\n", "", "title:", "'kind' is required"),
    Case(
        "DK-E006",
        "contacts/trees.yaml",
        "        channels: [voice]\n        members: [police]",
        "        channels: [voice]\n        mode: sometimes\n        members: [police]",
        "sometimes",
        "parallel",
    ),
    Case(
        "DK-E006",
        "plan.yaml",
        "approved_on: 2026-04-01",
        "approved_on: 2026-13-45",
        "approved_on",
        "date",
    ),
    Case(
        "DK-E007",
        "contacts/roles.yaml",
        "    deputies: [suzuki]",
        "    deputies: [suzuky]",
        "suzuky",
        "did you mean 'suzuki'",
    ),
    Case(
        "DK-E007",
        "scenarios/theft.yaml",
        "trees: [internal, external]",
        "trees: [internal, externel]",
        "trees:",
        "did you mean 'external'",
    ),
    Case(
        "DK-E007",
        "scenarios/theft.yaml",
        "    level: centres\n",
        "    level: centers\n",
        "level: centers",
        "did you mean 'centres'",
    ),
    Case(
        "DK-E007",
        "scenarios/theft.yaml",
        "    level: first\n",
        "    level: first\n    members: [sysadmn]\n",
        "members: [sysadmn]",
        "did you mean 'sysadmin'",
    ),
    Case(
        "DK-E007",
        "scenarios/theft.yaml",
        "    level: centres\n",
        "    level: centres\n    at_inject: found\n",
        "at_inject: found",
        "no inject with id 'found'",
    ),
    Case(
        "DK-E007",
        "scenarios/theft.yaml",
        "    level: centres\n",
        "    level: centres\n    after_step: reprot\n",
        "after_step: reprot",
        "did you mean 'report'",
    ),
    Case(
        "DK-E008",
        "scenarios/theft.yaml",
        "  - tree: internal\n    level: centres\n",
        "  - tree: internal\n    level: centres\n  - tree: internal\n    level: first\n",
        "level: first",
        "named by two notices",
        nth=1,
    ),
    Case(
        "DK-E007",
        "playbooks/theft.yaml",
        "    depends_on: [report]",
        "    depends_on: [reprot]",
        "depends_on",
        "did you mean 'report'",
    ),
    Case(
        "DK-E007",
        "scenarios/theft.yaml",
        'checklist: ["16-3", "16-4"]',
        'checklist: ["16-3", "16-5"]',
        "checklist",
        "not a checklist item",
    ),
    Case(
        "DK-E008",
        "contacts/people.yaml",
        "  - id: tanaka",
        "  - id: suzuki",
        "id: suzuki",
        "already used",
        nth=-1,
    ),
    Case(
        "DK-E009",
        "contacts/roles.yaml",
        "    deputies: [suzuki]",
        "    deputies: [sysadmin]",
        "deputies: [sysadmin]",
        "cycle",
    ),
    Case(
        "DK-E009",
        "playbooks/theft.yaml",
        "    target_minutes: 10\n",
        "    target_minutes: 10\n    depends_on: [revoke]\n",
        "depends_on: [revoke]",
        "cycle",
    ),
    Case(
        "DK-E010",
        "contacts/people.yaml",
        "      - voice: 095-000-0004",
        "      - voice: ${TANAKA_PHONE_FOR_TEST}",
        "TANAKA_PHONE",
        "is not set",
    ),
    Case(
        "DK-E011",
        "contacts/people.yaml",
        "      - voice: 095-000-0002",
        "      - voice: 095-000-00",
        "095-000-00",
        "not a valid phone number",
    ),
    Case(
        "DK-E012",
        "contacts/people.yaml",
        "      - email: suzuki@town.example",
        "      - email: suzuki@@town",
        "suzuki@@",
        "not a valid e-mail address",
    ),
    Case(
        "DK-E013",
        "scenarios/theft.yaml",
        '    sms: "{{ scenario }}。確認を"',
        '    sms: "{{ scenaro }}。確認を"',
        "scenaro",
        "unknown placeholder",
    ),
    Case(
        "DK-E013",
        "scenarios/theft.yaml",
        '    sms: "{{ scenario }}。確認を"',
        '    sms: "{{ scenario.__class__ }"',
        "__class__",
        "syntax",
    ),
    Case(
        "DK-E014",
        "contacts/roles.yaml",
        "    holder: sato\n    deputies: [suzuki]\n",
        "    deputies: []\n",
        "members: [sysadmin]",
        "no holder and no deputy",
        at_file="contacts/trees.yaml",
    ),
    Case(
        "DK-E015",
        "contacts/people.yaml",
        "      - voice: 095-000-0001",
        "      - voice: 095-829-1124",
        "095-829-1124",
        "fictional",
    ),
    Case(
        "DK-E006",
        "plan.yaml",
        "  - id: centres-10\n",
        "  - id: Centres 10\n",
        "Centres 10",
        "lower-case",
    ),
]


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: f"{c.code}-{c.mark[:12]}")
def test_each_error_names_file_line_and_fix(tmp_path: Path, case: Case) -> None:
    root = make_plan(tmp_path, case.file, case.old, case.new)
    with pytest.raises(PlanError) as raised:
        load_plan(root)
    matching = [f for f in raised.value.findings if f.code == case.code]
    assert matching, [f.render(root) for f in raised.value.findings]
    finding = matching[0]
    assert finding.severity is Severity.ERROR
    where = case.at_file or case.file
    assert finding.file == root / where, finding.render(root)
    assert finding.line == line_of(root, where, case.mark, case.nth), finding.render(root)
    assert case.says in finding.render(root)


WARNINGS = [
    Case(
        "DK-W001",
        "contacts/roles.yaml",
        "    holder: police-desk\n    deputies: [police-night]",
        "    holder: police-desk",
        "id: police",
        "no deputy",
    ),
    Case(
        "DK-W002",
        "contacts/roles.yaml",
        "    deputies: [suzuki]",
        "    deputies: [suzuki, sato]",
        "deputies: [suzuki, sato]",
        "also its deputy",
    ),
    Case(
        "DK-W003",
        "contacts/people.yaml",
        "      - voice: 095-000-0004",
        "      - voice: 095-000-0003",
        "095-000-0003",
        "shared",
    ),
    Case(
        "DK-W004",
        "contacts/people.yaml",
        "      - voice: 095-000-0006",
        "      - email: night@police.example",
        "id: police-night",
        "none of those channels",
    ),
    Case(
        "DK-W005",
        "contacts/roles.yaml",
        "roles:\n",
        "roles:\n"
        "  - {id: extra1, name: 追加1, holder: sato, deputies: [suzuki], critical: true}\n"
        "  - {id: extra2, name: 追加2, holder: sato, deputies: [suzuki], critical: true}\n",
        "id: sato",
        "critical roles",
    ),
    Case(
        "DK-W006",
        "scenarios/theft.yaml",
        "required_agencies: [police]",
        "required_agencies: [police, jlis]",
        "required_agencies",
        "jlis",
    ),
    Case(
        "DK-W007",
        "plan.yaml",
        "    within_minutes: 10",
        "    within_minutes: 1.5",
        "id: centres-10",
        "deputies",
    ),
    Case(
        "DK-W008",
        "contacts/people.yaml",
        "people:\n",
        "people:\n  - id: nobody\n    name: 誰\n    channels: [{voice: 095-000-0099}]\n",
        "id: nobody",
        "no role",
    ),
    Case(
        "DK-W009",
        "contacts/people.yaml",
        "      - sms: 090-0000-0001",
        "      - sms: 095-000-0011",
        "sms: 095-000-0011",
        "not a mobile",
    ),
    Case(
        "DK-W010",
        "scenarios/theft.yaml",
        '    sms: "{{ scenario }}。確認を"',
        '    sms: "{{ scenario }}が発生しました。直ちに庁舎へ参集し、システム管理者の指示に従ってください。"',
        "    sms:",
        "segments",
    ),
    Case(
        "DK-W011", "contacts/roles.yaml", "    holder: police-desk\n", "", "id: police", "no holder"
    ),
    Case(
        "DK-W013",
        "scenarios/theft.yaml",
        "notify:\n  - tree: internal\n    level: first\n  - tree: internal\n    level: centres\n"
        "  - tree: external\n    level: police\n    required: every\n",
        "",
        "trees: [internal, external]",
        "pages all 4 contacts",
    ),
    Case(
        "DK-W014",
        "scenarios/theft.yaml",
        "    level: police\n    required: every\n",
        "    level: police\n    required: every\n    audience: staff\n",
        "notify:",
        "outside agencies (police)",
    ),
    Case(
        "DK-W012",
        "plan.yaml",
        "targets:",
        "contents:\n  trees: [internal, external]\n  scenarios: []\ntargets:",
        "title: {ja: 統合端末の盗難",
        "not listed",
    ),
]


@pytest.mark.parametrize("case", WARNINGS, ids=lambda c: c.code)
def test_each_lint_warning_names_file_and_line(tmp_path: Path, case: Case) -> None:
    root = make_plan(tmp_path, case.file, case.old, case.new)
    findings = findings_for(root)
    errors = [f.render(root) for f in findings if f.severity is Severity.ERROR]
    assert not errors
    matching = [f for f in findings if f.code == case.code]
    assert matching, [f.render(root) for f in findings]
    finding = matching[0]
    assert finding.severity is Severity.WARNING
    mark_file = case.file
    if case.code in ("DK-W005",):
        mark_file = "contacts/people.yaml"
    if case.code == "DK-W012":
        mark_file = "scenarios/theft.yaml"
    if case.code in ("DK-W003",):
        mark_file = "contacts/people.yaml"
    assert finding.file == root / mark_file
    expected = line_of(root, mark_file, case.mark)
    if case.code == "DK-W012":
        expected = 1  # the scenario file as a whole
    if case.code == "DK-W003":
        expected = line_of(root, mark_file, case.mark, nth=-1)  # the second holder
    assert finding.line == expected, finding.render(root)
    assert case.says in finding.render(root)


def test_minimal_fixture_is_clean(tmp_path: Path) -> None:
    loaded = load_plan(make_plan(tmp_path))
    assert loaded.findings == ()
    assert loaded.plan.info.organisation.get("en") == "Test Town"


def test_all_errors_are_collected_in_one_run(tmp_path: Path) -> None:
    root = make_plan(
        tmp_path, "contacts/people.yaml", "      - voice: 095-000-0002", "      - voice: 12"
    )
    text = (root / "scenarios/theft.yaml").read_text(encoding="utf-8")
    (root / "scenarios/theft.yaml").write_text(
        text.replace("kind: incident", "kind: exercise"), encoding="utf-8"
    )
    with pytest.raises(PlanError) as raised:
        load_plan(root)
    codes = sorted(f.code for f in raised.value.findings)
    assert codes == ["DK-E006", "DK-E011"]  # both files' errors, in one run


def test_digits_with_a_leading_zero_stay_a_phone_number(tmp_path: Path) -> None:
    root = make_plan(
        tmp_path, "contacts/people.yaml", "      - voice: 095-000-0002", "      - voice: 0950000002"
    )
    assert load_plan(root).plan.person("suzuki").channels[0].address == "+81950000002"


def test_env_substitution_from_dotenv_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_plan(
        tmp_path,
        "contacts/people.yaml",
        "      - voice: 095-000-0004",
        "      - voice: ${TANAKA_DESK}\n      - email: ${TANAKA_MAIL}",
    )
    (root / ".env").write_text(
        "# personal numbers stay out of git\nTANAKA_DESK=095-000-0044\n", encoding="utf-8"
    )
    monkeypatch.setenv("TANAKA_MAIL", "tanaka@town.example")
    plan = load_plan(root).plan
    addresses = [p.address for p in plan.person("tanaka").channels]
    assert addresses == ["+81950000044", "tanaka@town.example"]


def test_numbers_written_the_japanese_way_are_stored_as_e164(tmp_path: Path) -> None:
    root = make_plan(
        tmp_path,
        "contacts/people.yaml",
        "      - voice: 095-000-0002",
        "      - voice: ０９５－０００－０００２",
    )
    plan = load_plan(root).plan
    assert plan.person("suzuki").channels[0].address == "+81950000002"


def test_real_plan_accepts_real_numbers_but_sample_refuses_them(tmp_path: Path) -> None:
    root = make_plan(
        tmp_path,
        "contacts/people.yaml",
        "      - voice: 095-000-0001",
        "      - voice: 095-829-1124",
    )
    text = (root / "plan.yaml").read_text(encoding="utf-8")
    (root / "plan.yaml").write_text(text.replace("sample: true", "sample: false"), encoding="utf-8")
    # A real plan may not use the sample's unassignable mobile range either.
    people = (root / "contacts/people.yaml").read_text(encoding="utf-8")
    (root / "contacts/people.yaml").write_text(
        people.replace("090-0000-0001", "090-1234-5678"), encoding="utf-8"
    )
    plan = load_plan(root).plan
    assert plan.person("sato").channels[0].address == "+81958291124"


def test_missing_plan_file_says_what_a_plan_directory_is(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as raised:
        load_plan(tmp_path)
    assert raised.value.findings[0].code == "DK-E016"
    assert "plan.yaml" in str(raised.value)


def test_target_on_a_later_tree_counts_the_earlier_trees_when_activated_in_order(
    tmp_path: Path,
) -> None:
    root = make_plan(
        tmp_path,
        "plan.yaml",
        "targets:\n",
        "targets:\n  - {id: police-11, name: 警察 11分, metric: level_completed, tree: external,"
        " level: police, within_minutes: 11}\n",
    )
    scenario = root / "scenarios/theft.yaml"
    text = scenario.read_text(encoding="utf-8").replace(
        "targets: [centres-10]", "targets: [centres-10, police-11]"
    )
    scenario.write_text(text, encoding="utf-8")
    sequential = [f for f in load_plan(root).findings if f.code == "DK-W007"]
    assert len(sequential) == 1 and "police-11" in sequential[0].message
    assert "after 13 min" in sequential[0].message  # internal tree 3 min + police ladder 10 min

    scenario.write_text(
        text.replace(
            "trees: [internal, external]", "trees: [internal, external]\nactivation: parallel"
        ),
        encoding="utf-8",
    )
    assert [f for f in load_plan(root).findings if f.code == "DK-W007"] == []


def test_a_second_number_of_a_kind_lengthens_the_worst_case(tmp_path: Path) -> None:
    # Every number of a kind is dialled in each round, so a second police number doubles
    # the silent desk's ladder: 2 numbers × (1 + 1 retry) × 5 min = 20 min instead of 10.
    root = make_plan(
        tmp_path,
        "plan.yaml",
        "targets:\n",
        "targets:\n  - {id: police-15, name: 警察 15分, metric: level_completed, tree: external,"
        " level: police, within_minutes: 15}\n",
    )
    scenario = root / "scenarios/theft.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(
        text.replace("targets: [centres-10]", "targets: [centres-10, police-15]"), encoding="utf-8"
    )
    assert [f for f in load_plan(root).findings if f.code == "DK-W007"] == []  # 3 + 10 min

    people = root / "contacts/people.yaml"
    people.write_text(
        people.read_text(encoding="utf-8").replace(
            "      - voice: 095-000-0005",
            "      - voice: 095-000-0005\n      - voice: 095-000-0015",
        ),
        encoding="utf-8",
    )
    missed = [f for f in load_plan(root).findings if f.code == "DK-W007"]
    assert len(missed) == 1 and "police-15" in missed[0].message
    assert "after 23 min" in missed[0].message  # internal tree 3 min + police ladder 20 min


def test_a_notice_that_leaves_out_a_required_agency_is_found(tmp_path: Path) -> None:
    root = make_plan(
        tmp_path,
        "contacts/trees.yaml",
        "        members: [police]\n",
        "        members: [police]\n      - id: desk\n        name: 窓口\n"
        "        channels: [voice]\n        members: [sysadmin]\n",
    )
    scenario = root / "scenarios/theft.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(
        text.replace("    level: police\n    required: every\n", "    level: desk\n"),
        encoding="utf-8",
    )
    (found,) = [f for f in load_plan(root).findings if f.code == "DK-W006"]
    assert "its notices do not page it" in found.message
    assert found.line == line_of(root, "scenarios/theft.yaml", "required_agencies")


def test_a_target_over_a_level_paged_only_at_a_later_inject_is_out_of_reach(
    tmp_path: Path,
) -> None:
    root = make_plan(tmp_path)
    scenario = root / "scenarios/theft.yaml"
    text = scenario.read_text(encoding="utf-8")
    text = text.replace(
        "injects:\n", "injects:\n  - at_minutes: 20\n    id: later\n    text: 後で\n"
    ).replace("    level: centres\n", "    level: centres\n    at_inject: later\n")
    scenario.write_text(text, encoding="utf-8")
    found = [f for f in load_plan(root).findings if f.code == "DK-W007"]
    assert len(found) == 1 and "inject of minute 20" in found[0].message
    assert found[0].line == line_of(root, "scenarios/theft.yaml", "targets: [centres-10]")


def test_a_number_shared_by_many_is_warned_of_naming_the_first_few(tmp_path: Path) -> None:
    # Seven more people on takahashi's number: eight holders, a warning for each after
    # the first, each naming five of them and counting the rest (not all eight, in
    # each of seven warnings: a plan with thousands would print millions of names).
    extra = "".join(
        f"  - id: extra{n}\n    name: 追加 {n}\n    channels:\n      - voice: 095-000-0003\n"
        for n in range(7)
    )
    root = make_plan(tmp_path)
    people = root / "contacts/people.yaml"
    people.write_text(people.read_text(encoding="utf-8") + extra, encoding="utf-8")
    shared = [f for f in findings_for(root) if f.code == "DK-W003"]
    assert len(shared) == 7
    assert [f.line for f in shared] == [
        line_of(root, "contacts/people.yaml", "- voice: 095-000-0003", nth=n) for n in range(1, 8)
    ]
    for finding in shared:
        assert "is shared by takahashi, extra0, extra1, extra2, extra3 and 3 more" in (
            finding.render(root)
        )
        assert "'takahashi'、'extra0'、'extra1'、'extra2'、'extra3' ほか 3 人が共有" in (
            finding_words("ja").message(finding)
        )


def test_only_the_first_fifty_undefined_references_get_a_nearest_id(tmp_path: Path) -> None:
    # Sixty roles held by 'satou': a typo of 'sato' the first fifty times; after that the
    # plan is missing people, not misspelling them, and no nearest id is guessed.
    extra = "".join(f"  - id: extra{n}\n    name: 追加 {n}\n    holder: satou\n" for n in range(60))
    root = make_plan(tmp_path)
    roles = root / "contacts/roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8") + extra, encoding="utf-8")
    undefined = [
        f for f in findings_for(root) if f.message == "person or role 'satou' is not defined"
    ]
    assert len(undefined) == 60
    assert [f.fix for f in undefined] == ["did you mean 'sato'?"] * 50 + [
        "define person or role 'satou' or correct the id"
    ] * 10
    assert [f.line for f in undefined] == [
        line_of(root, "contacts/roles.yaml", "holder: satou", nth=n) for n in range(60)
    ]
