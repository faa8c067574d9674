"""The plan's people as a duty officer looks for them: search keys, roles, trees, channels.

Search folds the differences people do not type: full- and half-width forms (NFKC),
katakana and hiragana, case, and spaces, so "やまだ", "ヤマダ", "山田" and "yamada"
find 山田 太郎 (やまだ たろう, id yamada-taro).
"""

from __future__ import annotations

import dataclasses
import unicodedata

from drill.plan.contact import display_number, mask_number
from drill.plan.models import ContactPoint, Person, Plan, Role
from drill.tui.i18n import language, pick
from drill.words import words

__all__ = ["Directory", "PersonFacts", "fold", "point_text"]

_KATAKANA = range(0x30A1, 0x30F7)


def fold(text: str) -> str:
    """The form in which two spellings a person would call the same compare equal."""
    text = unicodedata.normalize("NFKC", text).casefold()
    chars = [chr(ord(ch) - 0x60) if ord(ch) in _KATAKANA else ch for ch in text]
    return "".join(ch for ch in chars if not ch.isspace() and ch not in "・-_")


def point_text(point: ContactPoint, *, reveal: bool) -> str:
    """A channel as shown: numbers the Japanese way, masked unless revealed."""
    kind = words(language()).channel(point.kind.value)
    if point.email is not None:
        value = point.email
    else:
        value = display_number(point.address) if reveal else mask_number(point.address)
    label = f" ({point.label})" if point.label else ""
    return f"{kind} {value}{label}"


@dataclasses.dataclass(frozen=True)
class PersonFacts:
    """What the detail pane says about one person."""

    person: Person
    site: str | None
    holds: tuple[Role, ...]
    deputy_for: tuple[Role, ...]
    trees: tuple[str, ...]


class Directory:
    """Lookups over a plan's people, roles and sites for the contacts screen."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._deputy_for: dict[str, list[Role]] = {}
        for role in plan.roles:
            for deputy in role.deputies:
                self._deputy_for.setdefault(deputy, []).append(role)
        self._keys: dict[str, str] = {}
        for person in plan.people:
            parts = [person.id, person.name, person.kana or ""]
            if person.site and plan.has("site", person.site):
                site = plan.site(person.site)
                parts += [site.id, site.name.ja, site.name.en or ""]
            for role in (*plan.roles_of(person.id), *self._deputy_for.get(person.id, ())):
                parts += [role.id, role.name.ja, role.name.en or ""]
                if role.site and plan.has("site", role.site):
                    site = plan.site(role.site)
                    parts += [site.name.ja, site.name.en or ""]
            self._keys[person.id] = "\x1f".join(fold(p) for p in parts if p)

    def matches(self, person_id: str, query: str) -> bool:
        """True when every word of `query` is found in the person's name, kana, roles or sites."""
        words = [fold(word) for word in query.split()]
        key = self._keys.get(person_id, "")
        return all(word in key for word in words if word)

    def search(self, query: str) -> list[Person]:
        return [p for p in self.plan.people if self.matches(p.id, query)]

    def role_matches(self, role: Role, query: str) -> bool:
        words = [fold(word) for word in query.split()]
        key = fold(" ".join([role.id, role.name.ja, role.name.en or ""]))
        return all(word in key for word in words if word)

    def site_name(self, site_id: str | None) -> str | None:
        if site_id is None or not self.plan.has("site", site_id):
            return None
        return pick(self.plan.site(site_id).name)

    def facts(self, person_id: str) -> PersonFacts:
        plan = self.plan
        person = plan.person(person_id)
        trees: list[str] = []
        for tree in plan.trees:
            if any(
                person in plan.candidates(member.ref)
                for level in tree.levels
                for member in level.members
            ):
                trees.append(pick(tree.name))
        return PersonFacts(
            person=person,
            site=self.site_name(person.site),
            holds=plan.roles_of(person.id),
            deputy_for=tuple(self._deputy_for.get(person.id, ())),
            trees=tuple(trees),
        )
