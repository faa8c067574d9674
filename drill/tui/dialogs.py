"""Modal dialogs: errors, starting runs, the real-incident confirmation, operator actions.

Each dialog returns what the user decided (or None for cancel) through `dismiss`; the
screen that pushed it does the work. The real-incident dialog can only return True once
the organisation's name has been typed exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from rich.text import Text as RichText
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    Static,
)

from drill.errors import DrillError
from drill.tui.directory import fold
from drill.tui.i18n import language, t
from drill.tui.matches import highlighted_id, show_matches
from drill.tui.prose import Prose
from drill.tui.screens.base import LocalisedModal
from drill.words.choices import choice_word

__all__ = [
    "FASTEST",
    "AbortDialog",
    "AckEntry",
    "ErrorDialog",
    "IncidentDialog",
    "ManualAckDialog",
    "NoteDialog",
    "QuitDialog",
    "ResumeDialog",
    "StartChoice",
    "StartDrillDialog",
    "StepDialog",
    "UpdateChoice",
    "UpdateDialog",
    "parse_clock_time",
]


class ErrorDialog(LocalisedModal[None]):
    """What went wrong and what to do; never a traceback for a user's mistake."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", "key.close")]

    def __init__(self, title: str, message: str, what_to_do: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.error_title = title
        self.error_text = message
        self.what_to_do = what_to_do
        self.more = 0

    @classmethod
    def for_exception(cls, error: BaseException) -> ErrorDialog:
        if isinstance(error, DrillError):
            return cls(error.title, error.message)
        detail = f"{type(error).__name__}: {error}"
        return cls(
            t("error.title"), t("error.unexpected") + "\n\n" + detail, t("error.unexpected_do")
        )

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -error"):
            yield Label(self.error_title, classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Prose(RichText(self.error_text), classes="dialog-text")
                if self.what_to_do:
                    text = RichText(f"{t('error.what_to_do')}: ", "bold green")
                    text.append(self.what_to_do)
                    yield Prose(text, classes="dialog-text")
            yield Static("", id="error-more", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("common.close"), id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()
        self._show_more()

    def add_more(self) -> None:
        """Another error came while this one is shown: count it instead of stacking."""
        self.more += 1
        if self.is_mounted:
            self._show_more()

    def _show_more(self) -> None:
        if self.more:
            self.query_one("#error-more", Static).update(t("error.more", count=self.more))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


@dataclasses.dataclass(frozen=True)
class StartChoice:
    """How to start a drill: simulated people, the sandbox or real channels, and the
    clock's speed."""

    simulated: bool
    speed: float


FASTEST = 1000.0
"""最速 (simulated only): a scaled clock, so the board still shows the drill go by — a
50-minute drill in about three seconds."""

_SPEEDS: tuple[tuple[str, float, str], ...] = (
    ("speed-1", 1.0, "start.speed_real"),
    ("speed-10", 10.0, "start.speed_10"),
    ("speed-60", 60.0, "start.speed_60"),
    ("speed-120", 120.0, "start.speed_120"),
    ("speed-max", FASTEST, "start.speed_max"),
)


class StartDrillDialog(LocalisedModal[StartChoice | None]):
    """Start a scenario as a drill, marked 訓練: an explicit choice of how (simulated
    people, the local sandbox, real channels) and of the clock (実時間, 10×, 60×, 120×,
    最速), nothing chosen beforehand, so a bare Enter never starts anything.

    Real channels run on the real clock (the engine refuses anything else too) and are
    confirmed a second time; the sandbox (`real_is_local`) may go faster but not 最速;
    最速 is for simulated people only.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(self, title: str, *, real_available: bool, real_is_local: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.scenario_title = title
        self.real_available = real_available
        self.real_is_local = real_is_local
        self.confirming = False
        """Real channels chosen and Start pressed once: the next press pages people."""

    def compose(self) -> ComposeResult:
        sandbox = self.real_available and self.real_is_local
        real = self.real_available and not self.real_is_local
        # Labels as Text: "[DRILL]" is words, not console markup.
        with Vertical(classes="dialog", id="start-dialog"):
            yield Label(t("start.title"), classes="dialog-title")
            yield Prose(f"{t('start.scenario')}: {self.scenario_title}", classes="dialog-text")
            yield Label(t("start.mode"), classes="dialog-label")
            with RadioSet(id="start-channels"):
                yield RadioButton(RichText(t("start.simulated")), id="start-simulated")
                yield RadioButton(
                    RichText(t("start.sandbox")), id="start-sandbox", disabled=not sandbox
                )
                yield RadioButton(RichText(t("start.real")), id="start-real", disabled=not real)
            yield Label(t("start.speed"), classes="dialog-label")
            with RadioSet(id="start-speed"):  # one line: 実時間 10× 60× 120× 最速
                for widget_id, _, key in _SPEEDS:
                    yield RadioButton(RichText(t(key)), id=widget_id)
            if not self.real_available:
                yield Prose(t("start.real_unavailable"), classes="dialog-hint")
            yield Prose("", id="start-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("start.go"), id="go", variant="success")
                yield Button(t("start.cancel"), id="cancel")

    def on_mount(self) -> None:
        # Focus on the first choice, not on Start: Enter picks an option, never a drill.
        self.query_one("#start-channels", RadioSet).focus()

    def _chosen(self, set_id: str) -> str | None:
        pressed = self.query_one(set_id, RadioSet).pressed_button
        return pressed.id if pressed is not None else None

    def _error(self, key: str) -> None:
        self.query_one("#start-error", Prose).update(t(key))

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        mode, speed_id = self._chosen("#start-channels"), self._chosen("#start-speed")
        if mode is None or speed_id is None:
            self._error("start.choose")
            return
        speed = next(value for widget_id, value, _ in _SPEEDS if widget_id == speed_id)
        if mode == "start-real" and speed != 1.0:
            self._error("start.real_clock_only")
            return
        if mode != "start-simulated" and speed_id == "speed-max":
            self._error("start.fastest_simulated_only")
            return
        if mode == "start-real" and not self.confirming:
            self.confirming = True
            self._error("start.confirm_real")
            go = self.query_one("#go", Button)
            go.label = t("start.go_real")
            go.variant = "error"
            self.query_one("#cancel", Button).focus()  # Enter now cancels
            return
        self.dismiss(StartChoice(simulated=mode == "start-simulated", speed=speed))

    @on(RadioSet.Changed)
    def _changed(self) -> None:
        self.query_one("#start-error", Prose).update("")
        if self.confirming:
            self.confirming = False
            go = self.query_one("#go", Button)
            go.label = t("start.go")
            go.variant = "success"
        mode = self._chosen("#start-channels")
        # 最速 only with simulated people; with real channels, only the real clock.
        for widget_id, value, _ in _SPEEDS:
            button = self.query_one(f"#{widget_id}", RadioButton)
            button.disabled = (mode == "start-real" and value != 1.0) or (
                mode in ("start-real", "start-sandbox") and widget_id == "speed-max"
            )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class IncidentDialog(LocalisedModal[bool]):
    """The explicit confirmation of a real incident: real people, no 訓練 marker.

    Returns True only after the organisation's name is typed exactly; every other way
    out returns False.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(self, scenario: str, organisation: str, people: int) -> None:
        super().__init__(classes="dialog-screen")
        self.scenario = scenario
        self.word = organisation
        self.people = people

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger"):
            yield Label(t("incident.title"), classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Prose(RichText(t("incident.warning"), "bold"), classes="dialog-text")
                yield Prose(t("incident.scenario", title=self.scenario), classes="dialog-text")
                yield Prose(t("incident.people", count=self.people), classes="dialog-text")
                yield Prose(t("incident.type", word=self.word), classes="dialog-text")
            yield Input(id="incident-word")
            yield Static("", id="incident-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("incident.go"), id="go", variant="error", disabled=True)
                yield Button(t("common.cancel"), id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#incident-word", Input).focus()

    @property
    def confirmed(self) -> bool:
        return self.query_one("#incident-word", Input).value.strip() == self.word

    @on(Input.Changed, "#incident-word")
    def _typed(self) -> None:
        self.query_one("#go", Button).disabled = not self.confirmed
        self.query_one("#incident-error", Static).update("")

    @on(Input.Submitted, "#incident-word")
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        if not self.confirmed:
            self.query_one("#incident-error", Static).update(t("incident.mismatch"))
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


def parse_clock_time(text: str, now: dt.datetime) -> dt.datetime | None:
    """'03:15' (or '3:15', '0315', full-width digits) today in `now`'s zone; None if invalid.

    A time later than `now` is taken as yesterday's only when it is more than 12 hours
    ahead (a call at 23:50 entered at 00:10); otherwise it is returned as given, and the
    caller refuses it as being in the future.
    """
    import unicodedata

    raw = unicodedata.normalize("NFKC", text).strip().replace("：", ":")
    if not raw:
        return now
    if ":" in raw:
        hours_text, _, minutes_text = raw.partition(":")
    elif raw.isdigit() and len(raw) in (3, 4):
        hours_text, minutes_text = raw[:-2], raw[-2:]
    else:
        return None
    if not (hours_text.isdigit() and minutes_text.isdigit()):
        return None
    hours, minutes = int(hours_text), int(minutes_text)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        return None
    when = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if when - now > dt.timedelta(hours=12):
        when -= dt.timedelta(days=1)
    return when


@dataclasses.dataclass(frozen=True)
class AckEntry:
    """A manual acknowledgement as the operator entered it."""

    row: str
    """The contact (tree/level/member) that was reached."""
    entered_by: str
    received_at: dt.datetime
    choice: str | None = None
    """The key of the answer to the scenario's question, when the operator chose one."""


class ManualAckDialog(LocalisedModal[AckEntry | None]):
    """Record a relayed acknowledgement: who was reached, by whom, at what time.

    "Who" is a list narrowed by typing (name, kana, role, site): a nationwide tree has
    thousands of contacts, which no drop-down can hold. The contact highlighted on the
    board comes first.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]
    SHOWN = 200
    """Matches listed at most; typing narrows the rest."""

    def __init__(
        self,
        choices: Sequence[tuple[str, str, str]],
        *,
        now: dt.datetime,
        operator: str = "",
        selected: str | None = None,
        answers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.answers = list(answers)
        """(label, key) of the question's choices; empty when the scenario asks none."""
        self.choices = [(label, value) for label, value, _ in choices]
        self.now = now
        self.operator = operator
        self.selected = selected if any(c[1] == selected for c in choices) else None
        keys = {value: fold(f"{label} {words}") for label, value, words in choices}
        if self.selected is not None:
            first = [c for c in self.choices if c[1] == self.selected]
            self.choices = first + [c for c in self.choices if c[1] != self.selected]
        self._keys = [keys[value] for _, value in self.choices]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("ack.title"), classes="dialog-title")
            yield Prose(t("ack.explain"), classes="dialog-hint")
            yield Label(t("ack.who"), classes="dialog-label")
            yield Input(placeholder=t("ack.filter"), id="ack-filter", classes="compact")
            yield OptionList(id="ack-who")
            with Horizontal(classes="dialog-row"):
                with Vertical():
                    yield Label(t("ack.by"), classes="dialog-label")
                    yield Input(self.operator, id="ack-by", classes="compact")
                with Vertical():
                    yield Label(t("ack.when"), classes="dialog-label")
                    yield Input(self.now.strftime("%H:%M"), id="ack-when", classes="compact")
            if self.answers:
                yield Label(choice_word("dialog", language()), classes="dialog-label")
                yield Select(
                    self.answers,
                    id="ack-answer",
                    prompt=choice_word("no_choice", language()),
                    classes="compact",
                )
            yield Static("", id="ack-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("common.save"), id="save", variant="success")
                yield Button(t("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        self._list("")
        if self.selected is None:
            self.query_one("#ack-filter", Input).focus()
        else:
            self.query_one("#ack-by", Input).focus()

    def _list(self, query: str) -> None:
        entries = (
            (label, value, key)
            for (label, value), key in zip(self.choices, self._keys, strict=True)
        )
        show_matches(self.query_one("#ack-who", OptionList), entries, query, self.SHOWN)

    @property
    def chosen(self) -> str | None:
        """The row id of the contact highlighted in the list."""
        return highlighted_id(self.query_one("#ack-who", OptionList))

    @on(Input.Changed, "#ack-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._list(event.value)

    def _error(self, key: str) -> None:
        self.query_one("#ack-error", Static).update(t(key))

    @on(Input.Submitted, "#ack-filter")
    def _picked(self) -> None:
        self.query_one("#ack-by", Input).focus()

    @on(OptionList.OptionSelected, "#ack-who")
    def _selected(self) -> None:
        self.query_one("#ack-by", Input).focus()

    @on(Input.Submitted, "#ack-by, #ack-when")
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        who = self.chosen
        if who is None:
            self._error("ack.need_who")
            self.query_one("#ack-filter", Input).focus()
            return
        by = self.query_one("#ack-by", Input).value.strip()
        if not by:
            self._error("ack.need_by")
            self.query_one("#ack-by", Input).focus()
            return
        when = parse_clock_time(self.query_one("#ack-when", Input).value, self.now)
        if when is None:
            self._error("ack.bad_time")
            return
        if when > self.now + dt.timedelta(minutes=1):
            self._error("ack.future")
            return
        self.dismiss(AckEntry(who, by, min(when, self.now), self._answer()))

    def _answer(self) -> str | None:
        if not self.answers:
            return None
        value = self.query_one("#ack-answer", Select).value
        return value if isinstance(value, str) else None

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class StepDialog(LocalisedModal[tuple[str, str] | None]):
    """Mark a playbook step done: which, and who records it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(self, steps: Sequence[tuple[str, str]], *, operator: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.steps = list(steps)
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("step.title"), classes="dialog-title")
            yield Label(t("step.which"), classes="dialog-label")
            yield Select(
                self.steps,
                id="step-which",
                value=self.steps[0][1] if self.steps else Select.BLANK,
                allow_blank=False,
            )
            yield Label(t("step.by"), classes="dialog-label")
            yield Input(self.operator, id="step-by")
            yield Static("", id="step-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("common.save"), id="save", variant="success")
                yield Button(t("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#step-which", Select).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        step = self.query_one("#step-which", Select).value
        by = self.query_one("#step-by", Input).value.strip()
        if not by:
            self.query_one("#step-error", Static).update(t("ack.need_by"))
            self.query_one("#step-by", Input).focus()
            return
        if isinstance(step, str):
            self.dismiss((step, by))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteDialog(LocalisedModal[tuple[str, str] | None]):
    """A note for the record: text and author."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(self, *, operator: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("note.title"), classes="dialog-title")
            yield Label(t("note.text"), classes="dialog-label")
            yield Input(id="note-text")
            yield Label(t("note.by"), classes="dialog-label")
            yield Input(self.operator, id="note-by")
            yield Static("", id="note-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("common.save"), id="save", variant="success")
                yield Button(t("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#note-text", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        text = self.query_one("#note-text", Input).value.strip()
        by = self.query_one("#note-by", Input).value.strip()
        if not text:
            self.query_one("#note-error", Static).update(t("note.need"))
            self.query_one("#note-text", Input).focus()
            return
        if not by:
            self.query_one("#note-error", Static).update(t("ack.need_by"))
            self.query_one("#note-by", Input).focus()
            return
        self.dismiss((text, by))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class AbortDialog(LocalisedModal[tuple[str, str] | None]):
    """Abort with a reason; Enter in the reason moves to the Abort button, which confirms."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(self, *, operator: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger"):
            yield Label(t("abort.title"), classes="dialog-title")
            yield Prose(t("abort.explain"), classes="dialog-text")
            yield Label(t("abort.reason"), classes="dialog-label")
            yield Input(id="abort-reason")
            yield Label(t("note.by"), classes="dialog-label")
            yield Input(self.operator, id="abort-by")
            yield Static(t("abort.confirm"), id="abort-error", classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("abort.go"), id="go", variant="error")
                yield Button(t("common.cancel"), id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#abort-reason", Input).focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if event.input.id == "abort-reason":
            self.query_one("#abort-by", Input).focus()
        else:
            self.query_one("#go", Button).focus()

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        reason = self.query_one("#abort-reason", Input).value.strip()
        by = self.query_one("#abort-by", Input).value.strip()
        error = self.query_one("#abort-error", Static)
        if not reason:
            error.update(RichText(t("abort.need"), "bold red"))
            self.query_one("#abort-reason", Input).focus()
            return
        if not by:
            error.update(RichText(t("ack.need_by"), "bold red"))
            self.query_one("#abort-by", Input).focus()
            return
        self.dismiss((reason, by))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


QuitChoice = Literal["leave", "abort"]


class QuitDialog(LocalisedModal[QuitChoice | None]):
    """Quitting during a run: abort it, or leave it to be resumed later."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("quit.title"), classes="dialog-title")
            yield Prose(t("quit.explain"), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("quit.leave"), id="leave", variant="primary")
                yield Button(t("quit.abort"), id="abort", variant="error")
                yield Button(t("quit.stay"), id="stay")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#leave")
    def _leave(self) -> None:
        self.dismiss("leave")

    @on(Button.Pressed, "#abort")
    def _abort(self) -> None:
        self.dismiss("abort")

    @on(Button.Pressed, "#stay")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ResumeDialog(LocalisedModal[str | None]):
    """Offered at start-up: runs that stopped without finishing."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(self, runs: Sequence[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.runs = list(runs)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("resume.title"), classes="dialog-title")
            yield Prose(t("resume.explain"), classes="dialog-text")
            with RadioSet(id="resume-runs"):
                for index, (label, _) in enumerate(self.runs):
                    yield RadioButton(label, value=index == 0)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("resume.go"), id="go", variant="primary")
                yield Button(t("resume.later"), id="later")

    def on_mount(self) -> None:
        self.query_one("#go", Button).focus()

    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        index = self.query_one("#resume-runs", RadioSet).pressed_index
        self.dismiss(self.runs[max(0, index)][1])

    @on(Button.Pressed, "#later")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclasses.dataclass(frozen=True)
class UpdateChoice:
    """A status update (第N報) as the operator wrote it."""

    kind: str
    """first, followup or final."""
    audience: str
    """reached, tree:<tree>, level:<tree>/<level> or agency."""
    text: str
    by: str


class UpdateDialog(LocalisedModal[UpdateChoice | None]):
    """Send a status update (第N報): its kind, to whom, its text, and a preview of the
    message as a person receives it (the drill marker is added by the channel)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "key.close")]

    def __init__(
        self,
        *,
        number: int,
        kinds: Sequence[tuple[str, str]],
        audiences: Sequence[tuple[str, str]],
        preview: Callable[[str, str, str], str],
        operator: str = "",
    ) -> None:
        """`kinds` and `audiences`: (label, value), the default first; `preview(kind,
        audience, text)` gives the message one recipient would be sent."""
        super().__init__(classes="dialog-screen")
        self.number = number
        self.kinds = list(kinds)
        self.audiences = list(audiences)
        self.preview = preview
        self.operator = operator

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("update.dialog_title", number=self.number), classes="dialog-title")
            yield Label(t("update.kind"), classes="dialog-label")
            yield Select(self.kinds, value=self.kinds[0][1], allow_blank=False, id="update-kind")
            yield Label(t("update.audience"), classes="dialog-label")
            yield Select(
                self.audiences, value=self.audiences[0][1], allow_blank=False, id="update-audience"
            )
            yield Label(t("update.text"), classes="dialog-label")
            yield Input(placeholder=t("update.text_placeholder"), id="update-text")
            yield Label(t("note.by"), classes="dialog-label")
            yield Input(self.operator, id="update-by")
            with VerticalScroll(classes="dialog-scroll", id="update-preview-box"):
                yield Static("", id="update-preview", classes="dialog-text")
            yield Static("", id="update-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("update.send"), id="send", variant="success")
                yield Button(t("common.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#update-text", Input).focus()
        self._show_preview()

    def _value(self, widget_id: str) -> str:
        value = self.query_one(widget_id, Select).value
        return value if isinstance(value, str) else ""

    @on(Select.Changed)
    @on(Input.Changed, "#update-text")
    def _show_preview(self) -> None:
        text = self.query_one("#update-text", Input).value.strip()
        try:
            shown = self.preview(self._value("#update-kind"), self._value("#update-audience"), text)
        except (DrillError, ValueError) as exc:  # a template the plan could not render
            shown = exc.message if isinstance(exc, DrillError) else str(exc)
        self.query_one("#update-preview", Static).update(RichText(shown))
        self.query_one("#update-error", Static).update("")

    @on(Input.Submitted)
    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        text = self.query_one("#update-text", Input).value.strip()
        by = self.query_one("#update-by", Input).value.strip()
        if not text:
            self.query_one("#update-error", Static).update(t("update.empty"))
            self.query_one("#update-text", Input).focus()
            return
        if not by:
            self.query_one("#update-error", Static).update(t("ack.need_by"))
            self.query_one("#update-by", Input).focus()
            return
        kind, audience = self._value("#update-kind"), self._value("#update-audience")
        self.dismiss(UpdateChoice(kind, audience, text, by))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
