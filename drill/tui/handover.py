"""Who is in charge, on the console: the handover dialog and the new officer's glance.

`HandoverDialog` asks to whom the charge of the drill (責任者) passes, with a note for the
new officer; the board records it through its run (the engine here, or a request to the
owning engine when the drill is followed from the store). `GlanceScreen` is what the
new officer reads first, after a handover here or when attaching to a drill whose
charge was handed to them: the chain of officers, the open playbook steps (overdue
first), who is still being called, the notes and the latest updates — all read from
the board's model, which reads the one fold. It fits an 80-column terminal.

Who is in charge is not which engine runs the drill (the lease, `r` on the board): a
handover moves neither the lease nor the engine, and taking the drill's engine over
changes nobody's charge.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.text import Text as RichText
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from drill.engine.state import ContactStatus, DrillState
from drill.tui.board_model import BoardModel, StepLine
from drill.tui.cells import clock_text
from drill.tui.i18n import language
from drill.tui.screens.base import LocalisedModal
from drill.words.handover import handover_word

__all__ = ["Glance", "GlanceScreen", "Handover", "HandoverDialog", "glance", "in_charge_text"]

_PAGES_SHOWN = 8
_UPDATES_SHOWN = 6
_NOTES_SHOWN = 5


def _w(key: str, **values: object) -> str:
    return handover_word(key, language(), **values)


def in_charge_text(model: BoardModel) -> str | None:
    """責任者: NAME（HH:MM から）, or None when nobody was named."""
    officer = model.state.officer
    if officer is None:
        return None
    since = officer.since_at.astimezone(model.zone).strftime("%H:%M")
    return _w("in_charge", name=officer.name, since=since)


@dataclasses.dataclass(frozen=True, slots=True)
class Handover:
    """What the dialog returns: to whom, the note, who entered it."""

    to: str
    note: str | None
    by: str


class HandoverDialog(LocalisedModal[Handover | None]):
    """To whom the charge passes, a note for them, and who enters it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(self, *, current: str | None, operator: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.current = current
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_w("dialog_title"), classes="dialog-title")
            yield Label(
                _w("dialog_current", name=self.current or _w("nobody")), id="handover-current"
            )
            yield Label(_w("dialog_to"), classes="dialog-label")
            yield Input(id="handover-to")
            yield Label(_w("dialog_note"), classes="dialog-label")
            yield Input(id="handover-note")
            yield Label(_w("dialog_by"), classes="dialog-label")
            yield Input(self.operator or self.current or "", id="handover-by")
            yield Static("", id="handover-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_w("dialog_ok"), id="hand-over", variant="warning")
                yield Button(_w("dialog_cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#handover-to", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#hand-over")
    def _save(self) -> None:
        to = self.query_one("#handover-to", Input).value.strip()
        note = self.query_one("#handover-note", Input).value.strip() or None
        by = self.query_one("#handover-by", Input).value.strip()
        error = self.query_one("#handover-error", Static)
        if not to:
            error.update(_w("dialog_need_to"))
            self.query_one("#handover-to", Input).focus()
            return
        if to == self.current:
            error.update(_w("dialog_same", name=to))
            self.query_one("#handover-to", Input).focus()
            return
        self.dismiss(Handover(to, note, by or to))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


# == the glance ============================================================================


@dataclasses.dataclass(frozen=True, slots=True)
class Glance:
    """The new officer's view, section by section: (heading, lines with a style)."""

    title: str
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    def text(self) -> str:
        """Plain text of it all (what a reader of the screen sees)."""
        out = [self.title]
        for heading, lines in self.sections:
            out.append(heading)
            out.extend(line for line, _ in lines)
        return "\n".join(out)


_BEING_PAGED = frozenset(
    {
        ContactStatus.QUEUED,
        ContactStatus.CALLING,
        ContactStatus.SENT,
        ContactStatus.RINGING,
        ContactStatus.DELIVERED,
        ContactStatus.OPENED,
        ContactStatus.NO_ANSWER,
        ContactStatus.FAILED,
        ContactStatus.ESCALATED,
        ContactStatus.RESTING,
    }
)


def glance(model: BoardModel, elapsed: float) -> Glance:
    """What the officer in charge needs first, read from the board's model (the fold)."""
    state = model.state
    officer = state.officer
    title = _w("glance_title", name=officer.name if officer is not None else _w("nobody"))
    return Glance(
        title,
        (
            (_w("glance_chain"), _chain(model)),
            (_w("glance_steps"), _steps(model, elapsed)),
            (_w("glance_pages"), _pages(model, state)),
            (_w("glance_notes"), _notes(model, state)),
            (_w("glance_updates"), _updates(model, state)),
        ),
    )


def _chain(model: BoardModel) -> tuple[tuple[str, str], ...]:
    officers = model.state.officers
    if not officers:
        return ((_w("nobody"), "dim"),)
    out = []
    for i, officer in enumerate(officers):
        since = officer.since_at.astimezone(model.zone).strftime("%H:%M")
        line = f"{since} {officer.name}"
        note = officer.handover.note if officer.handover is not None else None
        if note:
            line += f"（{note}）" if language() == "ja" else f" ({note})"
        out.append((line, "bold" if i == len(officers) - 1 else ""))
    return tuple(out)


def _steps(model: BoardModel, elapsed: float) -> tuple[tuple[str, str], ...]:
    lines = [line for line in model.step_lines(elapsed) if line.status != "completed"]
    if not lines:
        return ((_w("glance_no_steps"), "dim"),)

    def left(line: StepLine) -> float:
        target = line.target_minutes
        return target * 60.0 - elapsed if target is not None else float("inf")

    out = []
    for line in sorted(lines, key=left):  # overdue first, then the soonest due
        remaining = left(line)
        owner = f" — {line.owner}" if line.owner else ""
        if remaining == float("inf"):
            out.append((f"{line.title}{owner}: {_w('glance_no_target')}", "dim"))
        elif remaining < 0:
            late = _w("glance_overdue", time=clock_text(-remaining))
            out.append((f"{line.title}{owner}: {late}", "bold red"))
        else:
            due = _w("glance_due_in", time=clock_text(remaining))
            out.append((f"{line.title}{owner}: {due}", "yellow" if remaining < 300 else ""))
    return tuple(out)


def _pages(model: BoardModel, state: DrillState) -> tuple[tuple[str, str], ...]:
    words = model.words
    calling = [c for c in state.contacts.values() if c.status in _BEING_PAGED]
    if not calling:
        return ((_w("glance_no_pages"), "dim"),)
    out = []
    for contact in calling[:_PAGES_SHOWN]:
        name = contact.person_name or model.person_name(contact.person_id)
        role = model.role_name(contact.member) or contact.member
        channel = words.channel(contact.channel.value) if contact.channel is not None else "—"
        out.append((_w("glance_calling", name=name, role=role, channel=channel), "yellow"))
    if len(calling) > _PAGES_SHOWN:
        out.append((_w("glance_more", count=len(calling) - _PAGES_SHOWN), "dim"))
    return tuple(out)


def _notes(model: BoardModel, state: DrillState) -> tuple[tuple[str, str], ...]:
    if not state.notes:
        return ((_w("glance_no_notes"), "dim"),)
    out = []
    for note in state.notes[-_NOTES_SHOWN:]:
        at = note.at.astimezone(model.zone).strftime("%H:%M")
        by = f"（{note.by}）" if language() == "ja" else f" ({note.by})"
        out.append((f"{at}{by} {note.text}", ""))
    return tuple(out)


def _updates(model: BoardModel, state: DrillState) -> tuple[tuple[str, str], ...]:
    out = []
    for _, event in state.timeline[-_UPDATES_SHOWN:]:
        line = model.log_line(event)
        if line is not None:
            out.append((f"{line.clock[:5]} {line.text}", line.style))
    return tuple(out)


class GlanceScreen(LocalisedModal[None]):
    """The new officer's glance at the drill; Esc (or the button) closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "key.close")]

    def __init__(self, view: Glance) -> None:
        super().__init__(classes="dialog-screen")
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="glance"):
            yield Label(self.view.title, classes="dialog-title")
            with VerticalScroll(id="glance-body"):
                for heading, lines in self.view.sections:
                    yield Label(heading, classes="dialog-label")
                    text = RichText()
                    for i, (line, style) in enumerate(lines):
                        if i:
                            text.append("\n")
                        text.append(line, style)
                    yield Static(text, classes="glance-section")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_w("glance_close"), id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
