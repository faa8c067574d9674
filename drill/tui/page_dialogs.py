"""The board's dialogs to page someone now (`g`) and to mark someone away (`u`).

`PageDialog`: a person or role found by typing (name, kana, id, role), someone not in
the plan (ad hoc: a name with a number and/or an address), or "page everyone not
answered again". `AwayDialog`: the contact highlighted on the board (whoever is being
paged for it, else its holder), why they are away (休暇, 出張, 異動, その他) and until
when. Both only say what the operator chose; the board sends it to the engine (the
engine running here, or, for a followed drill, through the store), which checks it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Static

from drill.tui.dialogs import parse_clock_time
from drill.tui.directory import fold
from drill.tui.i18n import language, t
from drill.tui.matches import highlighted_id, show_matches
from drill.tui.prose import Prose
from drill.tui.screens.base import LocalisedModal
from drill.words.page import ABSENCE_REASONS

__all__ = ["UNANSWERED", "AwayChoice", "AwayDialog", "PageChoice", "PageDialog"]

UNANSWERED = "unanswered:"
"""The option that pages everyone not answered yet, once more."""


@dataclasses.dataclass(frozen=True)
class PageChoice:
    """What the operator asked to have paged now."""

    asked: str
    """person, role, ad_hoc or unanswered."""
    by: str
    target: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclasses.dataclass(frozen=True)
class AwayChoice:
    """Who is away, why, until when (None: until the drill ends), and who says so."""

    person: str
    reason: str
    until: dt.datetime | None
    by: str
    back: bool = False
    """The mark is taken back instead (復帰): the person is paged again from now."""


class PageDialog(LocalisedModal[PageChoice | None]):
    """Page a person or role now, someone not in the plan, or the unanswered again."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]
    SHOWN = 200

    def __init__(self, choices: Sequence[tuple[str, str, str]], *, operator: str = "") -> None:
        """`choices`: (label, option id `person:<id>` / `role:<id>`, search words)."""
        super().__init__(classes="dialog-screen")
        first = (t("page.unanswered"), UNANSWERED, "")
        self.choices = [first, *choices]
        self._keys = [fold(f"{label} {words}") for label, _, words in self.choices]
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("page.title"), classes="dialog-title")
            yield Prose(t("page.help"), classes="dialog-hint")
            yield Input(placeholder=t("page.search"), id="page-search", classes="compact")
            yield OptionList(id="page-who")
            yield Label(t("page.adhoc"), classes="dialog-label")
            with Horizontal(classes="dialog-row"):
                yield Input(placeholder=t("page.adhoc_name"), id="page-name", classes="compact")
                yield Input(placeholder=t("page.adhoc_phone"), id="page-phone", classes="compact")
                yield Input(placeholder=t("page.adhoc_email"), id="page-email", classes="compact")
            yield Label(t("page.by"), classes="dialog-label")
            yield Input(self.operator, id="page-by", classes="compact")
            yield Static("", id="page-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("page.go"), id="go", variant="warning")
                yield Button(t("page.cancel"), id="cancel")

    def on_mount(self) -> None:
        self._list("")
        self.query_one("#page-search", Input).focus()

    def _list(self, query: str) -> None:
        entries = (
            (label, value, key)
            for (label, value, _), key in zip(self.choices, self._keys, strict=True)
        )
        show_matches(self.query_one("#page-who", OptionList), entries, query, self.SHOWN)

    @property
    def chosen(self) -> str | None:
        return highlighted_id(self.query_one("#page-who", OptionList))

    @on(Input.Changed, "#page-search")
    def _filter(self, event: Input.Changed) -> None:
        self._list(event.value)

    @on(Input.Submitted, "#page-search")
    @on(OptionList.OptionSelected, "#page-who")
    def _picked(self) -> None:
        self.query_one("#page-by", Input).focus()

    def _error(self, key: str) -> None:
        self.query_one("#page-error", Static).update(t(key))

    @on(Input.Submitted, "#page-by, #page-name, #page-phone, #page-email")
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        by = self.query_one("#page-by", Input).value.strip()
        name = self.query_one("#page-name", Input).value.strip()
        phone = self.query_one("#page-phone", Input).value.strip()
        email = self.query_one("#page-email", Input).value.strip()
        if not by:
            self._error("page.need_by")
            self.query_one("#page-by", Input).focus()
            return
        if name or phone or email:
            if not name or not (phone or email):
                self._error("page.need_adhoc")
                return
            self.dismiss(
                PageChoice("ad_hoc", by, name=name, phone=phone or None, email=email or None)
            )
            return
        chosen = self.chosen
        if chosen is None:
            self._error("page.need_target")
            self.query_one("#page-search", Input).focus()
            return
        if chosen == UNANSWERED:
            self.dismiss(PageChoice("unanswered", by))
            return
        kind, target = chosen.split(":", 1)
        self.dismiss(PageChoice(kind, by, target=target))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AwayDialog(LocalisedModal[AwayChoice | None]):
    """Mark the person of the highlighted contact away: why, and until when."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(
        self,
        person_id: str,
        person_name: str,
        *,
        now: dt.datetime,
        operator: str = "",
        marked: str | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.person_id = person_id
        self.person_name = person_name
        self.now = now
        self.operator = operator
        self.marked = marked
        """How the person is marked away now, in words (None: not marked from a console):
        the dialog then offers to take the mark back (復帰)."""

    def compose(self) -> ComposeResult:
        index = 1 if language() == "en" else 0
        with Vertical(classes="dialog"):
            yield Label(t("page.away_title"), classes="dialog-title")
            yield Prose(t("page.away_help"), classes="dialog-hint")
            yield Label(t("page.away_person"), classes="dialog-label")
            yield Static(self.person_name, id="away-person")
            if self.marked is not None:
                yield Static(self.marked, id="away-marked", classes="dialog-hint")
            yield Label(t("page.away_reason"), classes="dialog-label")
            with RadioSet(id="away-reason"):
                for i, (word, pair) in enumerate(ABSENCE_REASONS.items()):
                    yield RadioButton(pair[index], value=i == 0, name=word)
            yield Label(t("page.away_until"), classes="dialog-label")
            yield Input("", placeholder="17:30", id="away-until", classes="compact")
            yield Label(t("page.by"), classes="dialog-label")
            yield Input(self.operator, id="away-by", classes="compact")
            yield Static("", id="away-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("page.away_go"), id="go", variant="warning")
                if self.marked is not None:
                    yield Button(t("page.away_back"), id="back", variant="primary")
                yield Button(t("page.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#away-reason", RadioSet).focus()

    @property
    def reason(self) -> str:
        pressed = self.query_one("#away-reason", RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "その他"

    def _error(self, key: str) -> None:
        self.query_one("#away-error", Static).update(t(key))

    @on(Input.Submitted, "#away-until, #away-by")
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        raw = self.query_one("#away-until", Input).value.strip()
        until: dt.datetime | None = None
        if raw:
            until = parse_clock_time(raw, self.now)
            if until is None:
                self._error("page.away_until_bad")
                return
            if until <= self.now:
                until += dt.timedelta(days=1)  # a time of day already past: tomorrow's
        by = self.query_one("#away-by", Input).value.strip()
        if not by:
            self._error("page.need_by")
            self.query_one("#away-by", Input).focus()
            return
        self.dismiss(AwayChoice(self.person_id, self.reason, until, by))

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        by = self.query_one("#away-by", Input).value.strip()
        if not by:
            self._error("page.need_by")
            self.query_one("#away-by", Input).focus()
            return
        self.dismiss(AwayChoice(self.person_id, "", None, by, back=True))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
