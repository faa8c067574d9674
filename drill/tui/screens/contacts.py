"""The contacts screen: every contact tree as a tree, a search box, and a person's detail.

Numbers are masked (095-***-**24) until the user reveals them with `n`; the detail pane
lists all of a person's channels and roles and, from the event store, how fast they
acknowledged in the last drills.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text as RichText
from textual import events, on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static, Tree
from textual.widgets.tree import TreeNode

from drill.plan.models import ContactPoint, ContactTree, Level, Member, Person
from drill.tui.cells import minutes_text
from drill.tui.directory import Directory, point_text
from drill.tui.i18n import language, pick, t
from drill.tui.prose import Prose
from drill.tui.records import PersonAck
from drill.tui.screens.base import DrillScreen
from drill.words import words

__all__ = ["ContactsScreen", "NodeData"]

NodeData = tuple[str, str]
"""(kind, id) of a tree node: ("person", "yamada-taro"), ("role", "sysadmin"), …"""


class ContactsScreen(DrillScreen):
    """Contact trees, search and person details."""

    MODE = "contacts"
    AUTO_FOCUS = "#contacts-tree"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "key.search"),
        Binding("n", "reveal", "key.reveal"),
        Binding("e", "expand", "key.expand"),
        Binding("escape", "clear_search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reveal = False
        self._points: list[tuple[TreeNode[NodeData], ContactPoint]] = []
        self._directory: Directory | None = None
        self._person: str | None = None
        self._acks: dict[str, list[PersonAck] | None] = {}
        self._search_timer: Timer | None = None

    @property
    def directory(self) -> Directory | None:
        loaded = self.drill_app.loaded
        if loaded is None:
            return None
        if self._directory is None or self._directory.plan is not loaded.plan:
            self._directory = Directory(loaded.plan)
        return self._directory

    def compose_body(self) -> Iterable[Widget]:
        if self.directory is None:
            yield Static(t("app.no_plan"), classes="body notice")
            return
        with Horizontal(id="contacts-body", classes="body"):
            with Vertical(id="contacts-left", classes="pane"):
                yield Input(placeholder=t("contacts.search"), id="contacts-search")
                yield Static("", id="contacts-status")
                tree: Tree[NodeData] = Tree("", id="contacts-tree")
                tree.show_root = False
                tree.guide_depth = 2
                yield tree
            with VerticalScroll(id="contacts-detail", classes="pane"):
                yield Prose(t("contacts.pick"), id="person-detail")

    def fill(self) -> None:
        if self.directory is None:
            return
        self.query_one("#contacts-left").border_title = t("contacts.title")
        self.query_one("#contacts-detail").border_title = t("key.detail")
        self._build("")
        self.query_one("#contacts-tree", Tree).focus()

    # -- the tree ------------------------------------------------------------------------

    def _build(self, query: str) -> None:
        directory = self.directory
        assert directory is not None
        plan = directory.plan
        tree: Tree[NodeData] = self.query_one("#contacts-tree", Tree)
        tree.clear()
        self._points = []
        found: set[str] = set()
        for contact_tree in plan.trees:
            node = tree.root.add(self._tree_label(contact_tree), data=("tree", contact_tree.id))
            added = self._add_levels(node, contact_tree, query, found)
            if not added and query:
                node.remove()
                continue
            node.expand()
        status = self.query_one("#contacts-status", Static)
        if query:
            if found:
                status.update(t("contacts.results", count=len(found)))
            else:
                status.update(RichText(t("contacts.no_results"), "yellow"))
            tree.root.expand_all()
            self._hide_channels(tree.root)
        else:
            status.update(self._mask_status())
        if query and self._person is not None and self._person not in found:
            self._clear_person()  # the person shown is not among the results: not stale

    def _clear_person(self) -> None:
        """Nobody under the cursor: the detail pane says so instead of the last person."""
        self._person = None
        self.query_one("#person-detail", Prose).update(t("contacts.pick"))

    def _mask_status(self) -> RichText:
        if self.reveal:
            return RichText(t("contacts.revealed"), "bold yellow")
        return RichText(t("contacts.masked"), "dim")

    def _hide_channels(self, node: TreeNode[NodeData]) -> None:
        """After expanding search results, keep each person's channel list folded."""
        for child in node.children:
            if child.data is not None and child.data[0] == "person":
                child.collapse()
            else:
                self._hide_channels(child)

    def _tree_label(self, contact_tree: ContactTree) -> RichText:
        scope = t(f"contacts.{contact_tree.scope}")
        out = RichText(pick(contact_tree.name), "bold")
        out.append(f" ({scope})", "dim")
        return out

    def _level_label(self, number: int, level: Level) -> RichText:
        required = level.required
        if required == "all":
            quorum = t("contacts.required_all")
        elif required == "any":
            quorum = t("contacts.required_any")
        else:
            quorum = t("contacts.required_n", count=required)
        ladder = "→".join(words(language()).channel(kind.value) for kind in level.channels)
        out = RichText(t("contacts.level", number=number) + " ", "bold cyan")
        out.append(pick(level.name))
        mode = t(f"contacts.{level.mode}")
        timeout = t("contacts.timeout", minutes=minutes_text(level.ack_timeout_minutes))
        out.append(f"  {mode}・{quorum}・{ladder}・{timeout}", "dim")
        return out

    def _add_levels(
        self, parent: TreeNode[NodeData], contact_tree: ContactTree, query: str, found: set[str]
    ) -> bool:
        directory = self.directory
        assert directory is not None
        plan = directory.plan
        any_added = False
        for number, level in enumerate(contact_tree.levels, start=1):
            level_node = parent.add(self._level_label(number, level), data=("level", level.id))
            sites: dict[str | None, list[Member]] = {}
            for member in level.members:
                sites.setdefault(plan.site_of(member), []).append(member)
            grouped = len(sites) > 1 and len(level.members) > 2
            added = False
            for site_id, members in sites.items():
                holder = level_node
                if grouped:
                    name = directory.site_name(site_id) or t("common.none")
                    holder = level_node.add(RichText(name, "magenta"), data=("site", site_id or ""))
                site_added = False
                for member in members:
                    site_added |= self._add_member(holder, member, query, found)
                if grouped and not site_added:
                    holder.remove()
                elif grouped:
                    holder.expand()
                added |= site_added
            if not added and query:
                level_node.remove()
                continue
            level_node.expand()
            any_added |= added
        return any_added

    def _add_member(
        self, parent: TreeNode[NodeData], member: Member, query: str, found: set[str]
    ) -> bool:
        directory = self.directory
        assert directory is not None
        plan = directory.plan
        if not plan.is_role(member.ref):
            person = plan.person(member.ref)
            if query and not directory.matches(person.id, query):
                return False
            found.add(person.id)
            self._add_person(parent, person, None)
            return True
        role = plan.role(member.ref)
        role_match = bool(query) and directory.role_matches(role, query)
        people = plan.candidates(role.id)
        shown = [p for p in people if not query or role_match or directory.matches(p.id, query)]
        if query and not shown:
            return False
        label = RichText(pick(role.name), "bold")
        if role.agency is not None:
            label.append(f" [{t('contacts.agency')}]", "magenta")
        if role.holder is None and role.rotation is None:
            label.append(f" ({t('contacts.vacant')})", "red")
        if not role.deputies:
            label.append(" ⚠", "red")
        role_node = parent.add(label, data=("role", role.id))
        holders = role.holders(None, plan.info.zone)  # a rota's people all hold it in turn
        deputy = 0
        for person in people:
            if person.id in holders:
                tag = t("contacts.rota") if role.rotation is not None else t("contacts.holder")
            else:
                deputy += 1
                tag = t("contacts.deputy", number=deputy)
            if person not in shown:
                continue
            found.add(person.id)
            self._add_person(role_node, person, tag)
        role_node.expand()
        return True

    def _add_person(self, parent: TreeNode[NodeData], person: Person, tag: str | None) -> None:
        label = RichText()
        if tag:
            label.append(f"{tag} ", "dim")
        label.append(person.name)
        if person.kana:
            label.append(f" ({person.kana})", "dim")
        node = parent.add(label, data=("person", person.id))
        for point in person.channels:
            leaf = node.add_leaf(point_text(point, reveal=self.reveal), data=("channel", person.id))
            self._points.append((leaf, point))

    # -- actions -------------------------------------------------------------------------

    def action_search(self) -> None:
        if self.directory is not None:
            # Now, not after the next refresh (as focus() does): what is typed right
            # after "/" belongs in the search box.
            self.set_focus(self.query_one("#contacts-search", Input))

    def on_key(self, event: events.Key) -> None:
        """Typing in the tree types in the search box (keys that do something excepted).

        Every printable key that reaches the screen unhandled goes to the search box,
        including those typed right after "/" before the box had the focus.
        """
        if self.directory is None or event.character is None or not event.is_printable:
            return
        if event.character.isspace() or event.key in self.active_bindings:
            return
        search = self.query_one("#contacts-search", Input)
        event.stop()
        event.prevent_default()
        self.set_focus(search)
        search.insert_text_at_cursor(event.character)

    def action_clear_search(self) -> None:
        if self.directory is None:
            return
        search = self.query_one("#contacts-search", Input)
        if search.value:
            search.value = ""
        self.query_one("#contacts-tree", Tree).focus()

    def action_reveal(self) -> None:
        if self.directory is None:
            return
        self.reveal = not self.reveal
        for node, point in self._points:
            node.set_label(point_text(point, reveal=self.reveal))
        if not self.query_one("#contacts-search", Input).value:
            self.query_one("#contacts-status", Static).update(self._mask_status())
        if self._person is not None:
            self._show_person(self._person)

    def action_expand(self) -> None:
        if self.directory is not None:
            self.query_one("#contacts-tree", Tree).root.expand_all()

    @on(Input.Changed, "#contacts-search")
    def _search_changed(self, event: Input.Changed) -> None:
        # Rebuild once typing pauses: a tree of thousands of people is not rebuilt per key.
        if self._search_timer is not None:
            self._search_timer.stop()
        query = event.value.strip()
        self._search_timer = self.set_timer(0.15, lambda: self._build(query))

    @on(Input.Submitted, "#contacts-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self._build(event.value.strip())
        tree = self.query_one("#contacts-tree", Tree)
        tree.focus()
        first = _first_person(tree.root)
        if first is not None and first.data is not None:
            self._show_person(first.data[1])
            # The tree lays out its new lines on the next refresh; move there after it.
            self.call_after_refresh(tree.move_cursor, first)

    @on(Tree.NodeHighlighted, "#contacts-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[Any]) -> None:
        data = event.node.data
        if data is not None and data[0] in ("person", "channel"):
            self._show_person(data[1])

    # -- the detail pane -----------------------------------------------------------------

    def _show_person(self, person_id: str) -> None:
        directory = self.directory
        assert directory is not None
        self._person = person_id
        facts = directory.facts(person_id)
        person = facts.person
        out = RichText(person.name, "bold")
        out.append(f"  {person.id}", "dim")
        rows: list[tuple[str, str]] = []
        if person.kana:
            rows.append(("detail.kana", person.kana))
        rows.append(("detail.site", facts.site or t("common.none")))
        rows.append(("detail.language", "日本語" if person.language == "ja" else "English"))
        if person.note:
            rows.append(("detail.note", person.note))
        for key, value in rows:
            out.append(f"\n{t(key)}: ", "dim")
            out.append(value)
        out.append(f"\n\n{t('detail.channels')}", "bold underline")
        if not person.channels:
            out.append(f"\n  {t('detail.none')}", "red")
        for point in person.channels:
            out.append(f"\n  {point_text(point, reveal=self.reveal)}")
        out.append(f"\n\n{t('detail.roles')}", "bold underline")
        for role in facts.holds:
            out.append(f"\n  {pick(role.name)}")
        if not facts.holds:
            out.append(f"\n  {t('detail.none')}", "dim")
        out.append(f"\n{t('detail.deputy_for')}", "bold underline")
        for role in facts.deputy_for:
            out.append(f"\n  {pick(role.name)}")
        if not facts.deputy_for:
            out.append(f"\n  {t('detail.none')}", "dim")
        out.append(f"\n{t('detail.trees')}", "bold underline")
        for name in facts.trees:
            out.append(f"\n  {name}")
        out.append(f"\n\n{t('detail.acks')}", "bold underline")
        acks = self._acks.get(person_id)
        if person_id not in self._acks:
            out.append(f"\n  {t('detail.acks_loading')}", "dim")
            self._load_acks(person_id)
        elif not acks:
            out.append(f"\n  {t('detail.acks_none')}", "dim")
        else:
            for ack in acks:
                out.append("\n  " + ack.describe())
        self.query_one("#person-detail", Prose).update(out)

    @work(exclusive=True, group="person-acks", exit_on_error=False)
    async def _load_acks(self, person_id: str) -> None:
        acks = await self.drill_app.records.person_acks(person_id)
        self._acks[person_id] = acks
        if self._person == person_id:
            self._show_person(person_id)


def _first_person(node: TreeNode[NodeData]) -> TreeNode[NodeData] | None:
    for child in node.children:
        if child.data is not None and child.data[0] == "person":
            return child
        found = _first_person(child)
        if found is not None:
            return found
    return None
