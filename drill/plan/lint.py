"""Lint: warnings about a plan that loads but that a reviewer or an auditor would object to.

Each rule yields `Finding`s with a `DK-W…` code (see `drill.plan.findings.CODES`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drill.plan.contact import is_mobile, mask_number
from drill.plan.findings import Finding, Severity, params
from drill.plan.lint_audience import AUDIENCE_RULES
from drill.plan.locator import Locator
from drill.plan.models import Agency, ChannelKind, Level, Metric, Person, Plan, Target
from drill.plan.templates import TemplateProblem, render_template

__all__ = ["lint_plan", "sms_segments"]

_W = Severity.WARNING

_HOLDERS_NAMED = 5
"""How many of the people sharing a number or address a DK-W003 warning names."""

_SAMPLE_VALUES = {
    "ja": {
        "person": "山田 太郎",
        "role": "セキュリティ責任者",
        "site": "北部支所",
        "scenario": "都道府県サーバ集約センター障害",
        "organisation": "サンプル市",
        "deadline": "10:35",
        "started": "10:30",
        "callback": "システム管理者　渡辺 健二（095-000-1234）",
    },
    "en": {
        "person": "Taro Yamada",
        "role": "Security officer",
        "site": "North branch",
        "scenario": "Prefecture server outage",
        "organisation": "Sample City",
        "deadline": "10:35",
        "started": "10:30",
        "callback": "System administrator Kenji Watanabe (095-000-1234)",
    },
}
# What the SMS channel adds to the template's text (`drill.channels.sms.sms_body`): the
# drill marker (`drill.channels.marker`), a line break and the acknowledgement link,
# `<public_url>/a/<token>`. The link assumes a 25-character host behind https:// and the
# 18-character token of `drill.channels.links.LINK_TOKEN_LENGTH` (a test keeps them equal; the
# plan layer cannot import either module).
_SMS_MARKER = {"ja": "【訓練】", "en": "[DRILL] "}
_LINK_HOST_CHARACTERS = 25
_LINK_TOKEN_CHARACTERS = 18
_SAMPLE_LINK = "https://" + "h" * _LINK_HOST_CHARACTERS + "/a/" + "t" * _LINK_TOKEN_CHARACTERS
_GSM_EXTENDED = frozenset("^{}\\[~]|")  # two septets each in GSM-7


@dataclass(frozen=True, slots=True)
class _Facts:
    """What several rules read of every person, found in one pass over the plan: a
    nationwide plan has 35,000 people and 140,000 channels, each read once instead of once
    per level that pages them."""

    kinds: dict[str, tuple[ChannelKind, ...]]
    """The kind of each of a person's channels, in order, by person id (the same tuple for
    everyone with the same kinds: a plan has few such profiles)."""

    @classmethod
    def of(cls, plan: Plan) -> _Facts:
        profiles: dict[tuple[ChannelKind, ...], tuple[ChannelKind, ...]] = {}
        kinds = {}
        for person in plan.people:
            profile = tuple(point.kind for point in person.channels)
            kinds[person.id] = profiles.setdefault(profile, profile)
        return cls(kinds)

    def reachable(self, level: Level, person: Person) -> bool:
        """Whether `person` has a channel of one of the level's kinds."""
        kinds = self.kinds.get(person.id)
        if kinds is None:  # not one of the plan's people
            return any(person.points(kind) for kind in level.channels)
        return any(kind in kinds for kind in level.channels)

    def ladder_minutes(self, level: Level, person: Person) -> float:
        """`Level.ladder_minutes`, with the person's channels read once."""
        kinds = self.kinds.get(person.id)
        if kinds is None:
            return level.ladder_minutes(person)
        pages = (1 + level.retries) * sum(kinds.count(kind) for kind in level.channels)
        return pages * level.ack_timeout_minutes


_Rule = Callable[[Plan, Locator, _Facts], Iterator[Finding]]
_LaterRule = Callable[[Plan, Locator], Iterator[Finding]]


def lint_plan(plan: Plan, locator: Locator, part: int | None = None) -> list[Finding]:
    """The lint's findings, rule by rule. `part` 0 or 1 gives those of the rules that read
    `_Facts` or of the others alone, in the same order: part 0 then part 1 is the whole
    list, so that two processes can share a large plan's lint."""
    findings: list[Finding] = []
    if part != 1:
        facts = _Facts.of(plan)
        for rule in _RULES:
            findings.extend(rule(plan, locator, facts))
    if part != 0:
        for later_rule in _LATER_RULES:
            findings.extend(later_rule(plan, locator))
    return findings


def sms_segments(text: str) -> int:
    """SMS segments for `text`: ASCII is GSM-7 (160, then 153 each; ^{}\\[~]| count two);
    anything else, Japanese included, is UCS-2 (70, then 67 each)."""
    if all(ord(ch) < 128 for ch in text):
        length = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        return 1 if length <= 160 else -(-length // 153)
    length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return 1 if length <= 70 else -(-length // 67)


def _sms_room(language: str) -> int:
    """Characters of text that fit one segment beside the marker and the sample link."""
    filler = "a" if language == "en" else "あ"
    room = 0
    while sms_segments(_sms_with_link(filler * (room + 1), language)) == 1:
        room += 1
    return room


def _sms_with_link(text: str, language: str) -> str:
    """What the channel sends for `text`: the marker, the text, a line break, the link."""
    return f"{_SMS_MARKER[language]}{text}\n{_SAMPLE_LINK}"


def _deputies(plan: Plan, loc: Locator, facts: _Facts) -> Iterator[Finding]:
    for role in plan.roles:
        if role.holder is None and role.rotation is None:
            yield loc.finding(
                "DK-W011",
                _W,
                f"role '{role.id}' ({role.name}) has no holder",
                "role",
                role.id,
                fix="name a holder",
                message_key="lint.no_holder",
                fix_key="lint.no_holder.fix",
                params=params(role=role.id, name=role.name.ja),
            )
        if not role.deputies:
            yield loc.finding(
                "DK-W001",
                _W,
                f"role '{role.id}' ({role.name}) has no deputy",
                "role",
                role.id,
                fix="add `deputies:` with one or more people",
                message_key="lint.no_deputy",
                fix_key="lint.no_deputy.fix",
                params=params(role=role.id, name=role.name.ja),
            )
        elif role.holder is not None and role.holder in role.deputies:
            index = role.deputies.index(role.holder)
            yield loc.finding(
                "DK-W002",
                _W,
                f"'{role.holder}' holds '{role.id}' and is also its deputy",
                "role",
                role.id,
                "deputies",
                index,
                fix="name someone else as deputy",
                message_key="lint.deputy_is_holder",
                fix_key="lint.deputy_is_holder.fix",
                params=params(holder=role.holder, role=role.id),
            )


def _shared_numbers(plan: Plan, loc: Locator, facts: _Facts) -> Iterator[Finding]:
    first: dict[str, tuple[str, int]] = {}
    shared: dict[str, list[tuple[str, int]]] = {}  # only the addresses of two or more
    for person in plan.people:
        seen: set[str] = set()
        for i, point in enumerate(person.channels):
            address = point.address
            if address not in seen:
                seen.add(address)
                owner = (person.id, i)
                prior = first.setdefault(address, owner)
                if prior is not owner:
                    shared.setdefault(address, [prior]).append(owner)
    for address in first:  # in the order each address first appears
        holders = shared.get(address)
        if holders is not None:
            # A warning per holder after the first, each naming the first few: a number
            # that a template gave thousands of people would otherwise print every one
            # of them in each of thousands of warnings.
            named = tuple(person_id for person_id, _ in holders[:_HOLDERS_NAMED])
            more = len(holders) - len(named)
            names = ", ".join(named) + (f" and {more:,} more" if more else "")
            shown = address if "@" in address else mask_number(address)
            said = params(shown=shown, people=named, more=more or None)
            for person_id, i in holders[1:]:
                yield loc.finding(
                    "DK-W003",
                    _W,
                    f"{shown} is shared by {names}",
                    "person",
                    person_id,
                    "channels",
                    i,
                    fix="give each person their own number or address",
                    message_key="lint.shared.more" if more else "lint.shared",
                    fix_key="lint.shared.fix",
                    params=said,
                )


def _reachability(plan: Plan, loc: Locator, facts: _Facts) -> Iterator[Finding]:
    reported: set[str] = set()
    for tree in plan.trees:
        for level in tree.levels:
            for member in level.members:
                for person in plan.candidates(member.ref):
                    if person.id in reported:
                        continue
                    if not facts.reachable(level, person):
                        reported.add(person.id)
                        kinds = ", ".join(level.channels)
                        yield loc.finding(
                            "DK-W004",
                            _W,
                            f"'{person.id}' is paged by tree '{tree.id}' level '{level.id}' "
                            f"({kinds}) but has none of those channels",
                            "person",
                            person.id,
                            fix=f"add a channel of kind {kinds}",
                            message_key="lint.unreachable",
                            fix_key="lint.unreachable.fix",
                            params=params(
                                person=person.id,
                                tree=tree.id,
                                level=level.id,
                                channels=tuple(level.channels),
                            ),
                        )


def _critical_roles(plan: Plan, loc: Locator, facts: _Facts) -> Iterator[Finding]:
    limit = plan.info.max_critical_roles
    held: dict[str, list[str]] = {}  # the critical roles each holder holds, in plan order
    for role in plan.roles:
        if role.critical and role.holder is not None:
            held.setdefault(role.holder, []).append(role.id)
    for person in plan.people:
        critical = held.get(person.id, [])
        if len(critical) > limit:
            yield loc.finding(
                "DK-W005",
                _W,
                f"'{person.id}' holds {len(critical)} critical roles ({', '.join(critical)}); "
                f"the plan allows {limit}",
                "person",
                person.id,
                fix="give some of these roles to someone else, with deputies",
                message_key="lint.critical",
                fix_key="lint.critical.fix",
                params=params(
                    person=person.id, count=len(critical), roles=tuple(critical), limit=limit
                ),
            )


def _agencies(plan: Plan, loc: Locator, facts: _Facts) -> Iterator[Finding]:
    roles = plan._index["role"]
    for scenario in plan.scenarios:
        reached: set[Agency] = set()
        for tree_id in scenario.trees:
            for _, member in plan.members(tree_id):
                role = roles.get(member.ref)
                if role is not None and role.agency is not None:
                    reached.add(role.agency)
        for i, agency in enumerate(scenario.required_agencies):
            if agency not in reached:
                yield loc.finding(
                    "DK-W006",
                    _W,
                    f"scenario '{scenario.id}' needs {agency.value} but none of its trees "
                    f"({', '.join(scenario.trees)}) reaches it",
                    "scenario",
                    scenario.id,
                    "required_agencies",
                    i,
                    fix=f"add a role with `agency: {agency.value}` to one of those trees",
                    message_key="lint.agency",
                    fix_key="lint.agency.fix",
                    params=params(
                        scenario=scenario.id,
                        agency=agency.value,
                        agency_id=agency.value,
                        trees=tuple(scenario.trees),
                    ),
                )


def _targets(plan: Plan, loc: Locator, facts: _Facts) -> Iterator[Finding]:
    # A target is checked in each scenario that cites it, because a scenario that
    # activates its trees one after another delays the later trees by the earlier ones.
    contexts: list[tuple[Target, str | None, dict[str, float]]] = []
    cited: set[str] = set()
    for scenario in plan.scenarios:
        offsets: dict[str, float] = {}
        elapsed = 0.0
        for tree_id in scenario.trees:
            offsets[tree_id] = elapsed if scenario.activation == "sequential" else 0.0
            elapsed += _worst_minutes(plan, facts, plan.tree(tree_id).levels)
        for target_id in scenario.targets:
            cited.add(target_id)
            contexts.append((plan.target(target_id), scenario.id, offsets))
    contexts.extend((t, None, {}) for t in plan.targets if t.id not in cited)
    reported: set[str] = set()
    for target, scenario_id, offsets in contexts:
        if target.id in reported:
            continue
        for tree_id in _target_trees(plan, target):
            if scenario_id is not None and tree_id not in offsets:
                continue
            worst = offsets.get(tree_id, 0.0) + _worst_minutes(
                plan, facts, _measured_levels(plan, target, tree_id)
            )
            if worst > target.within_minutes:
                reported.add(target.id)
                where = f" in scenario '{scenario_id}'" if scenario_id else ""
                yield loc.finding(
                    "DK-W007",
                    _W,
                    f"target '{target.id}' ({target.within_minutes:g} min) is missed{where} "
                    f"whenever holders do not answer: deputies of tree '{tree_id}' are reached "
                    f"only after {worst:g} min",
                    "target",
                    target.id,
                    fix="shorten ack_timeout_minutes or retries (each number or address of a "
                    "kind waits its own timeout), activate the scenario's trees "
                    "in parallel (`activation: parallel`), or revise the target",
                    message_key="lint.target.scenario" if scenario_id else "lint.target",
                    fix_key="lint.target.fix",
                    params=params(
                        target=target.id,
                        within=target.within_minutes,
                        scenario=scenario_id,
                        tree=tree_id,
                        worst=worst,
                    ),
                )
                break


def _measured_levels(plan: Plan, target: Target, tree_id: str) -> tuple[Level, ...]:
    """The levels that must be reached for `target` on this tree."""
    levels = plan.tree(tree_id).levels
    if target.metric is Metric.LEVEL_COMPLETED:
        stop = next(i for i, lv in enumerate(levels) if lv.id == target.level)
        return levels[: stop + 1]
    if target.metric is Metric.ALL_SITES_REACHED:
        last = [
            i
            for i, lv in enumerate(levels)
            if any(_is_centre(plan, plan.site_of(m)) for m in lv.members)
        ]
        return levels[: last[-1] + 1] if last else ()
    return levels


def _worst_minutes(plan: Plan, facts: _Facts, levels: tuple[Level, ...]) -> float:
    """Every holder silent, every first deputy answering at once; levels run in order and
    the members of a sequential level one after another.

    A silent holder's ladder is one page per number or address of each of the level's
    kinds, once per round (`Level.ladder_minutes`): two voice numbers ring twice as long
    as one. A level is done when its quorum is: in parallel, when the `required`-th
    slowest member is; in sequence, after the first `required` members.
    """
    total = 0.0
    for level in levels:
        ladders = [_holder_minutes(plan, facts, level, member.ref) for member in level.members]
        need = _quorum(level)
        if level.mode == "sequential":
            total += sum(ladders[:need])
        else:
            total += sorted(ladders)[need - 1]
    return total


def _holder_minutes(plan: Plan, facts: _Facts, level: Level, ref: str) -> float:
    """How long the first person paged for `ref` keeps the ladder when silent."""
    candidates = plan.candidates(ref)
    return facts.ladder_minutes(level, candidates[0]) if candidates else 0.0


def _quorum(level: Level) -> int:
    if level.required == "all":
        return len(level.members)
    if level.required == "any":
        return 1
    return min(int(level.required), len(level.members))


def _is_centre(plan: Plan, site_id: str | None) -> bool:
    return site_id is not None and plan.has("site", site_id) and plan.site(site_id).regional_centre


def _target_trees(plan: Plan, target: Target) -> list[str]:
    if target.tree is not None:
        return [target.tree]
    return [tree.id for tree in plan.trees]


def _people_without_roles(plan: Plan, loc: Locator) -> Iterator[Finding]:
    named: set[str] = set()
    for role in plan.roles:
        named.update(p for p in (role.holder, *role.deputies) if p)
    for tree in plan.trees:
        for level in tree.levels:
            named.update(member.ref for member in level.members)
    for person in plan.people:
        if person.id not in named:
            yield loc.finding(
                "DK-W008",
                _W,
                f"'{person.id}' holds no role and is no deputy",
                "person",
                person.id,
                fix="give them a role or remove them",
                message_key="lint.no_role",
                fix_key="lint.no_role.fix",
                params=params(person=person.id),
            )


def _sms_segments(plan: Plan, loc: Locator) -> Iterator[Finding]:
    for person in plan.people:
        for i, point in enumerate(person.channels):
            if point.kind is not ChannelKind.SMS:
                continue
            address = point.address
            if not is_mobile(address):
                yield loc.finding(
                    "DK-W009",
                    _W,
                    f"{mask_number(address)} is not a mobile number",
                    "person",
                    person.id,
                    "channels",
                    i,
                    fix="use a mobile number (070/080/090) for SMS",
                    message_key="lint.landline",
                    fix_key="lint.landline.fix",
                    params=params(number=mask_number(address)),
                )
    for scenario in plan.scenarios:
        for language in ("ja", "en"):
            messages = getattr(scenario.messages, language)
            if messages is None:
                continue
            values = {
                **_SAMPLE_VALUES[language],  # person, role, site and times vary by page
                "scenario": scenario.title.get(language),
                "organisation": plan.info.organisation.get(language),
            }
            try:
                text = render_template(messages.sms, values)
            except TemplateProblem:
                continue
            # A question's numbered choices go on a line of their own: a choice answer is
            # worth a second segment, not a third.
            question = scenario.question
            allowed = 1 if question is None else 2
            if question is not None:
                text = f"{text}\n{question.numbered(language)}"
            segments = sms_segments(_sms_with_link(text, language))
            if segments > allowed:
                yield loc.finding(
                    "DK-W010",
                    _W,
                    f"the {language} SMS of '{scenario.id}' needs {segments} segments "
                    f"({len(text)} characters + marker and link; assumed "
                    f"{_SMS_MARKER[language].strip()}, a line break and a "
                    f"{len(_SAMPLE_LINK)}-character link: https:// + a "
                    f"{_LINK_HOST_CHARACTERS}-character host + /a/ + an "
                    f"{_LINK_TOKEN_CHARACTERS}-character token)",
                    "scenario",
                    scenario.id,
                    "messages",
                    language,
                    "sms",
                    fix=f"keep Japanese SMS to {_sms_room('ja')} characters, "
                    f"English to {_sms_room('en')}",
                    message_key="lint.sms_long",
                    fix_key="lint.sms_long.fix",
                    params=params(
                        language=language,
                        scenario=scenario.id,
                        segments=segments,
                        length=len(text),
                        link=len(_SAMPLE_LINK),
                        ja_room=_sms_room("ja"),
                        en_room=_sms_room("en"),
                    ),
                )


_RULES: tuple[_Rule, ...] = (
    _deputies,
    _shared_numbers,
    _reachability,
    _critical_roles,
    _agencies,
    _targets,
)
"""The rules that `lint_plan` runs first, in order: part 0 (for a nationwide plan, about
as much work as the loader's cross-file checks and part 1 together)."""
_LATER_RULES: tuple[_LaterRule, ...] = (_people_without_roles, _sms_segments, *AUDIENCE_RULES)
"""The rules that `lint_plan` runs after `_RULES`, in order: part 1."""
