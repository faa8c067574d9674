"""A contact list as municipalities keep it (a spreadsheet) turned into plan contacts.

The list is rows of cells under a header row: 氏名, ふりがな, 所属, 役割, 電話, 携帯, メール,
代理 (or their English names), in any order, as Excel writes them. `read_contact_list`
turns the rows into people, roles (holder and deputies) and sites, and says what it could
not read, cell by cell (row, column, why), as `Problem`s with a code the views put into
words (`drill.words`): the core speaks no words of its own.

Numbers and addresses go through the plan's own checks (`contact.normalise_number`,
`normalise_address`) after NFKC, so full-width digits, full-width hyphens and `＠` are
read as people type them. Reading the file (encodings, Excel) is the CLI's: this module
takes rows of strings.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence

from drill.plan.contact import is_mobile, normalise_address, normalise_number

__all__ = [
    "COLUMNS",
    "ContactList",
    "DraftPerson",
    "DraftRole",
    "DraftSite",
    "Problem",
    "read_contact_list",
]

COLUMNS: dict[str, tuple[str, ...]] = {
    # field: the headers that name it (compared after NFKC, without spaces, lower case)
    "name": ("氏名", "名前", "氏名(漢字)", "職員名", "担当者", "担当者名", "name"),
    "kana": ("ふりがな", "フリガナ", "よみがな", "ヨミガナ", "カナ", "氏名(カナ)", "kana"),
    "site": ("所属", "所属課", "部署", "課", "課名", "拠点", "支所", "site", "department"),
    "role": ("役割", "役職", "担当", "役割名", "連絡網での役割", "role"),
    "phone": (
        "電話",
        "電話番号",
        "庁舎電話",
        "固定電話",
        "勤務先電話",
        "直通",
        "直通電話",
        "phone",
        "tel",
    ),
    "mobile": ("携帯", "携帯電話", "携帯番号", "携帯電話番号", "mobile", "cell"),
    "email": ("メール", "メールアドレス", "eメール", "e-mail", "email", "mail"),
    "deputy": ("代理", "代理者", "代行", "代行者", "deputy", "deputies"),
    "note": ("備考", "メモ", "note", "notes"),
}

_DASHES = re.compile(r"[‐‑‒–—―−ーｰ－]")
_SPLIT_NAMES = re.compile(r"[、,，/／・;；\n]+")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """Something in the list that could not be read, or was read with a change.

    `code`: `unknown_column`, `no_name`, `bad_phone`, `bad_email`, `not_mobile`,
    `no_channel`, `unknown_deputy`, `duplicate_column`. `row` is the row as the
    spreadsheet numbers it (1 = the first line of the file), `column` the header as
    written, `value` the cell.
    """

    row: int
    column: str
    code: str
    value: str = ""


@dataclasses.dataclass(slots=True)
class DraftPerson:
    id: str
    name: str
    kana: str | None
    site: str | None
    voice: list[tuple[str, str]]
    """(number as people write it, label) for each voice number."""
    sms: str | None
    email: str | None
    note: str | None
    row: int


@dataclasses.dataclass(slots=True)
class DraftRole:
    id: str
    name: str
    holder: str
    deputies: list[str]


@dataclasses.dataclass(frozen=True, slots=True)
class DraftSite:
    id: str
    name: str


@dataclasses.dataclass(slots=True)
class ContactList:
    """What was read: people, roles and sites in the list's order, and the problems."""

    people: list[DraftPerson]
    roles: list[DraftRole]
    sites: list[DraftSite]
    problems: list[Problem]
    blank_rows: int
    header_row: int
    columns: dict[str, str]
    """field -> the header as written."""

    def unroled(self) -> list[DraftPerson]:
        """People who hold no role and are nobody's deputy: paged directly."""
        named = {p for role in self.roles for p in (role.holder, *role.deputies)}
        return [person for person in self.people if person.id not in named]


def _clean(cell: object) -> str:
    text = unicodedata.normalize("NFKC", "" if cell is None else str(cell))
    return text.replace("\u3000", " ").strip()


def _header_key(cell: str) -> str:
    return re.sub(r"\s+", "", _clean(cell)).lower()


_ALIASES = {_header_key(alias): field for field, names in COLUMNS.items() for alias in names}


def _number(text: str) -> str:
    """`normalise_number` input: NFKC'd, every kind of dash a hyphen."""
    return _DASHES.sub("-", text)


def _display(e164: str) -> str:
    from drill.plan.contact import display_number

    return display_number(e164)


def _person_id(email: str | None, taken: set[str], index: int) -> str:
    base = ""
    if email:
        base = _SLUG.sub("-", email.split("@", 1)[0].lower()).strip("-")[:40]
    if not base or not base[0].isalnum():
        base = f"person-{index:03d}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def read_contact_list(
    rows: Sequence[Sequence[object]], *, allow_fictional: bool = False
) -> ContactList:
    """People, roles and sites from `rows` (the first non-blank row is the header).

    `allow_fictional`: accept the sample plan's unassignable numbers (the skeleton's).

    ValueError when there is no header naming a 氏名 (name) column.
    """
    problems: list[Problem] = []
    header_index = next((i for i, row in enumerate(rows) if any(_clean(c) for c in row)), None)
    if header_index is None:
        raise ValueError("empty")
    header = [_clean(c) for c in rows[header_index]]
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    for index, heading in enumerate(header):
        if not heading:
            continue
        field = _ALIASES.get(_header_key(heading))
        if field is None:
            problems.append(Problem(header_index + 1, heading, "unknown_column"))
        elif field in columns:
            problems.append(Problem(header_index + 1, heading, "duplicate_column"))
        else:
            columns[field] = index
            written[field] = heading
    if "name" not in columns:
        raise ValueError("no_name_column")

    def cell(row: Sequence[object], field: str) -> str:
        index = columns.get(field)
        return _clean(row[index]) if index is not None and index < len(row) else ""

    people: list[DraftPerson] = []
    by_name: dict[str, DraftPerson] = {}
    roles_by_name: dict[str, DraftRole] = {}
    sites_by_name: dict[str, DraftSite] = {}
    deputy_cells: list[tuple[DraftPerson, str, str | None]] = []
    role_sites: dict[str, set[str]] = {}
    taken: set[str] = set()
    blank = 0
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(_clean(c) for c in row):
            blank += 1
            continue
        name = re.sub(r"\s+", " ", cell(row, "name"))
        if not name:
            shown = next((_clean(c) for c in row if _clean(c)), "")
            problems.append(Problem(offset, written["name"], "no_name", shown))
            continue
        voice: list[tuple[str, str]] = []
        sms: str | None = None
        email: str | None = None
        for field, label in (("phone", "庁舎"), ("mobile", "携帯")):
            raw = cell(row, field)
            if not raw:
                continue
            try:
                e164 = normalise_number(_number(raw), allow_fictional=allow_fictional)
            except ValueError:
                problems.append(Problem(offset, written[field], "bad_phone", raw))
                continue
            voice.append((_display(e164), label))
            if field == "mobile":
                if is_mobile(e164):
                    sms = _display(e164)
                else:
                    problems.append(Problem(offset, written[field], "not_mobile", raw))
        raw_email = cell(row, "email")
        if raw_email:
            try:
                email = normalise_address(raw_email)
            except ValueError:
                problems.append(Problem(offset, written["email"], "bad_email", raw_email))
        if not voice and email is None:
            problems.append(Problem(offset, written["name"], "no_channel", name))
        site_name = cell(row, "site")
        site = None
        if site_name:
            found = sites_by_name.get(site_name)
            if found is None:
                found = DraftSite(f"site-{len(sites_by_name) + 1:02d}", site_name)
                sites_by_name[site_name] = found
            site = found.id
        person = DraftPerson(
            id=_person_id(email, taken, len(people) + 1),
            name=name,
            kana=cell(row, "kana") or None,
            site=site,
            voice=voice,
            sms=sms,
            email=email,
            note=cell(row, "note") or None,
            row=offset,
        )
        people.append(person)
        by_name.setdefault(name.replace(" ", ""), person)
        role_name = cell(row, "role")
        # One role per name and 所属: two 支所長 of two 支所 are two roles; a second
        # holder of a role in the same 所属 is its deputy.
        role_key = f"{role_name}\0{site_name}" if role_name else None
        if role_key is not None:
            role = roles_by_name.get(role_key)
            if role is None:
                role = DraftRole(f"role-{len(roles_by_name) + 1:02d}", role_name, person.id, [])
                roles_by_name[role_key] = role
                role_sites.setdefault(role_name, set()).add(site_name)
            elif person.id not in role.deputies:
                role.deputies.append(person.id)
        deputies = cell(row, "deputy")
        if deputies:
            deputy_cells.append((person, deputies, role_key))
    # Deputies are named by name; they may come later in the list.
    for person, text, role_key in deputy_cells:
        role = roles_by_name.get(role_key) if role_key else None
        for name in (n.strip() for n in _SPLIT_NAMES.split(text)):
            if not name:
                continue
            deputy = by_name.get(name.replace(" ", ""))
            if deputy is None or deputy is person:
                problems.append(Problem(person.row, written["deputy"], "unknown_deputy", name))
                continue
            if role is None:  # a person without a role, with a deputy: a role of their own
                role = DraftRole(f"role-{len(roles_by_name) + 1:02d}", person.name, person.id, [])
                roles_by_name[f"\0{person.id}"] = role
            if deputy.id != role.holder and deputy.id not in role.deputies:
                role.deputies.append(deputy.id)
    for key, role in roles_by_name.items():
        name, _, site_name = key.partition("\0")
        if len(role_sites.get(name, ())) > 1 and site_name:
            role.name = f"{name}（{site_name}）"  # the same title in several 所属
    problems.sort(key=lambda p: (p.row, p.column))
    return ContactList(
        people=people,
        roles=list(roles_by_name.values()),
        sites=list(sites_by_name.values()),
        problems=problems,
        blank_rows=blank,
        header_row=header_index + 1,
        columns=written,
    )
