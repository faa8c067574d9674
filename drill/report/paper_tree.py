"""The paper contact tree (紙の緊急時連絡網): a printable A4 page for the binder by the phone.

When terminals or the network are down, the duty officer calls from this sheet. It is
the one document drillkit writes with phone numbers **in full**, written the Japanese
way (095-829-1124); it says so at the top, and carries the date it was printed and the
plan's version so an old copy is recognised and replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from drill.plan.contact import display_number
from drill.plan.models import ChannelKind, ContactTree, Level, Member, Person, Plan
from drill.report.layout import CSP, environment, stylesheet
from drill.words import Lang, check_lang, words

__all__ = ["render_paper_tree"]

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("緊急時連絡網（紙）", "Emergency contact tree (paper copy)"),
    "made": ("作成日", "Printed on"),
    "version": ("計画の版", "Plan version"),
    "approved": ("{date} 承認", "approved {date}"),
    "numbers_in_full": (
        "この連絡網には電話番号を省略せずに記載しています。",
        "This contact tree shows phone numbers in full.",
    ),
    "purpose": (
        "端末やネットワークが使えないときに、電話で連絡するための紙の連絡網です。"
        "上の段から順に連絡し、担当者（正）に連絡がつかないときは代理者に連絡してください。"
        "連絡がついたら右の欄に時刻を記入します。",
        "For when terminals or the network are down: call level by level from the top; "
        "when the holder cannot be reached, call the deputies in order. Write the time in "
        "the right-hand column when someone is reached.",
    ),
    "handling": (
        "取扱注意（個人情報）：施錠できる場所に保管し、計画を改訂したら印刷し直して旧版は"
        "シュレッダーで廃棄してください。",
        "Confidential (personal data): keep it locked away; reprint it whenever the plan "
        "changes and shred the old copy.",
    ),
    "role": ("役割", "Role"),
    "kind": ("区分", ""),
    "person": ("氏名", "Name"),
    "phone": ("電話番号", "Phone"),
    "check": ("連絡がついた時刻", "Reached at"),
    "no_phone": ("電話番号なし", "no phone number"),
    "internal": ("庁内", "internal"),
    "external": ("庁外", "outside agencies"),
    "holder": ("正", "holder"),
    "deputy": ("代理{n}", "deputy {n}"),
    "level": ("第{n}段", "Level {n}"),
    "parallel": ("同時に連絡", "call all at once"),
    "sequential": ("上から順に連絡", "call in order"),
    "all": ("全員に連絡がつくまで", "until everyone is reached"),
    "any": ("いずれか1人に連絡がつけば次の段へ", "one reached is enough"),
    "n": ("{n}人に連絡がつけば次の段へ", "{n} reached is enough"),
    "wait": ("1手段あたり{m}分待つ", "wait {m} min per channel"),
    "footer": (
        "drillkit が計画ファイルから作成。電話番号は計画ファイルの記載のとおりです。",
        "Made by drillkit from the plan files; numbers are as written in the plan.",
    ),
    "mobile": ("携帯", "mobile"),
    "phone_label": ("電話", "phone"),
}


def _t(lang: Lang, key: str, **values: object) -> str:
    text = _TEXT[key][0 if lang == "ja" else 1]
    return text.format(**values) if values else text


@dataclass(frozen=True, slots=True)
class _Number:
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class _Person:
    kind: str
    name: str
    kana: str | None
    note: str | None
    numbers: tuple[_Number, ...]
    mails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    site: str | None
    people: tuple[_Person, ...]


@dataclass(frozen=True, slots=True)
class _Level:
    title: str
    how: str
    members: tuple[_Member, ...]


@dataclass(frozen=True, slots=True)
class _Tree:
    name: str
    scope: str
    description: str | None
    levels: tuple[_Level, ...]


def render_paper_tree(
    plan: Plan,
    lang: str | None = None,
    *,
    trees: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> str:
    """The plan's contact trees as one printable A4 HTML page, numbers in full.

    `trees` limits it to those tree ids (all trees when None); `today` is the date
    printed on it (today in the plan's time zone when None).
    """
    language = check_lang(lang, plan.info.language)
    chosen = [plan.tree(t) for t in trees] if trees is not None else list(plan.trees)
    day = today or dt.datetime.now(plan.info.zone).date()
    w = words(language)
    info = plan.info
    approved = _t(language, "approved", date=w.date(info.approved_on))
    if info.approved_by:
        approved += f" · {info.approved_by}"
    return (
        environment()
        .get_template("paper_tree.html.j2")
        .render(
            lang=language,
            csp=CSP,
            css=stylesheet(),
            title=f"{info.organisation.get(language)} {_t(language, 'title')}",
            organisation=info.organisation.get(language),
            plan_title=info.title.get(language),
            today=w.date(day),
            version=info.version,
            approved=approved,
            trees=[_tree(plan, tree, language) for tree in chosen],
            **{f"w_{key}": _t(language, key) for key in _TEXT if "{" not in _TEXT[key][0]},
        )
    )


def _tree(plan: Plan, tree: ContactTree, lang: Lang) -> _Tree:
    return _Tree(
        name=tree.name.get(lang),
        scope=_t(lang, tree.scope),
        description=tree.description.get(lang) if tree.description else None,
        levels=tuple(
            _level(plan, level, number, lang) for number, level in enumerate(tree.levels, 1)
        ),
    )


def _level(plan: Plan, level: Level, number: int, lang: Lang) -> _Level:
    if level.required == "all":
        needed = _t(lang, "all")
    elif level.required == "any" or level.required == 1:
        needed = _t(lang, "any")
    else:
        needed = _t(lang, "n", n=level.required)
    how = " · ".join(
        (_t(lang, level.mode), needed, _t(lang, "wait", m=f"{level.ack_timeout_minutes:g}"))
    )
    return _Level(
        title=f"{_t(lang, 'level', n=number)} {level.name.get(lang)}",
        how=how,
        members=tuple(_member(plan, member, lang) for member in level.members),
    )


def _member(plan: Plan, member: Member, lang: Lang) -> _Member:
    site_id = plan.site_of(member)
    site = plan.site(site_id).name.get(lang) if site_id and plan.has("site", site_id) else None
    if plan.is_role(member.ref):
        name = plan.role(member.ref).name.get(lang)
    else:
        name = plan.person(member.ref).name
    people = tuple(
        _person(person, index, lang) for index, person in enumerate(plan.candidates(member.ref))
    )
    return _Member(name=name, site=site, people=people)


def _person(person: Person, index: int, lang: Lang) -> _Person:
    numbers: list[_Number] = []
    seen: set[str] = set()
    for point in person.channels:
        if point.kind is ChannelKind.EMAIL or point.address in seen:
            continue
        seen.add(point.address)
        default = _t(lang, "mobile") if point.kind is ChannelKind.SMS else _t(lang, "phone_label")
        numbers.append(_Number(point.label or default, display_number(point.address)))
    mails = tuple(p.address for p in person.channels if p.kind is ChannelKind.EMAIL)
    kind = _t(lang, "holder") if index == 0 else _t(lang, "deputy", n=index)
    return _Person(
        kind=kind,
        name=person.name,
        kana=person.kana,
        note=person.note,
        numbers=tuple(numbers),
        mails=mails,
    )
