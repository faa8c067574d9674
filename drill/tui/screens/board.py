"""The live board: the main screen while a drill or incident runs.

Elapsed time in big digits; progress per level and site against the targets; every
contact's state, updated live; the injects; the playbook checklist with countdowns; and
the event log. Engine events are coalesced: the feed remembers what changed and the
board repaints at most ten times a second, only the rows that changed and are visible.

On a wide terminal everything is on one screen; on a small one (80×24) the contacts
table comes first and the other panes are tabs (`v` cycles them).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text as RichText
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Digits, Static, TabbedContent, TabPane

from drill.engine.events import Event
from drill.errors import DrillError
from drill.tui.board import (
    ContactHeader,
    ContactTable,
    EventLog,
    InjectsPane,
    ProgressPane,
    StepsPane,
    SummaryPane,
)
from drill.tui.board_model import FILTERS, BoardModel, row_id, row_key
from drill.tui.cells import clock_text
from drill.tui.dialogs import (
    AbortDialog,
    AckEntry,
    ManualAckDialog,
    NoteDialog,
    StepDialog,
    UpdateChoice,
    UpdateDialog,
)
from drill.tui.handover import GlanceScreen, Handover, HandoverDialog, glance, in_charge_text
from drill.tui.i18n import language, pick, t
from drill.tui.page_dialogs import AwayChoice, AwayDialog, PageChoice, PageDialog
from drill.tui.screens.base import DrillScreen, NavBar
from drill.tui.session import Run
from drill.tui.update_form import audience_choices, kind_choices, preview_text, updates_line
from drill.words import words
from drill.words.handover import handover_word
from drill.words.page import absence_reason

__all__ = ["BoardScreen"]

_WIDE = 118
_SLOW_EVERY = 0.5
"""Seconds between redraws of the event log and the progress pane."""
_FREEZE_EVERY = 30.0
"""Seconds between moves of the run's long-lived objects out of the garbage collector's
sight: a full collection over thousands of contacts and their events paused the board
for 100-200 ms. Events and states live as long as the run; nothing is leaked."""
_TALL = 30
_PANES = ("pane-contacts", "pane-progress", "pane-steps", "pane-injects", "pane-log")


class BoardScreen(DrillScreen):
    """Elapsed time, progress, contacts, injects, playbook and log of the current run."""

    MODE = "board"
    AUTO_FOCUS = "#contact-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "acknowledge", "key.ack"),
        Binding("c", "complete_step", "key.step"),
        Binding("m", "note", "key.note"),
        Binding("p", "pause", "key.pause"),
        Binding("x", "abort", "key.abort"),
        Binding("f", "filter", "key.filter"),
        Binding("v", "next_pane", "key.focus"),
        Binding("r", "take_over", "key.take_over"),
        Binding("s", "send_update", "key.update"),
        Binding("g", "page_now", "key.page_now"),
        Binding("u", "mark_away", "key.mark_away"),
        Binding("h", "handover", "key.handover"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.wide = False
        self._run: Run | None = None
        self._model: BoardModel | None = None
        self._last_clock = ""
        self._shown_report = ""
        self._last_second = -1
        self._last_status: RichText | None = None
        self._pending_log: list[Event] = []
        self._log_written = 0.0
        self._progress_due = False
        self._progress_at = 0.0
        self._frozen_at = 0.0
        self._filled = False
        self.flushes = 0
        self._glanced: set[tuple[str, int | None]] = set()
        """(drill, seq) of the handovers whose glance this console has shown."""

    # -- layout ----------------------------------------------------------------------

    @property
    def live(self) -> Run | None:
        return self.drill_app.live_run

    def _wide_enough(self) -> bool:
        size = self.app.size
        return size.width >= _WIDE and size.height >= _TALL

    def compose_body(self) -> Iterable[Widget]:
        run = self.live
        self._run = run
        self.wide = self._wide_enough()
        if run is None:
            self._model = None
            yield Static(t("board.idle"), id="board-idle", classes="body notice")
            return
        model = self._model = run.model
        with Vertical(id="board-body", classes="body -wide" if self.wide else "body -narrow"):
            with Horizontal(id="board-top"):
                yield Static(t("time.elapsed_label"), id="board-elapsed-label")
                yield Digits("00:00", id="board-elapsed")
                yield Static("", id="board-status")
            if self.wide:
                with Horizontal(id="board-main"):
                    with Vertical(id="board-left"):
                        with Vertical(id="pane-contacts", classes="pane"):
                            yield ContactHeader(id="contact-header")
                            yield ContactTable(model, id="contact-table")
                        with Vertical(id="pane-log", classes="pane"):
                            yield EventLog(id="event-log")
                    with VerticalScroll(id="board-right"):
                        yield SummaryPane(model, id="board-summary", classes="pane")
                        yield ProgressPane(model, id="board-progress", classes="pane")
                        yield StepsPane(model, id="board-steps", classes="pane")
                        yield InjectsPane(model, id="board-injects", classes="pane")
            else:
                yield SummaryPane(model, id="board-summary", classes="pane")
                with TabbedContent(id="board-tabs"):
                    with TabPane(t("board.contacts"), id="pane-contacts"):
                        yield ContactHeader(id="contact-header")
                        yield ContactTable(model, id="contact-table")
                    with TabPane(t("board.progress"), id="pane-progress"), VerticalScroll():
                        yield ProgressPane(model, id="board-progress")
                    with TabPane(t("board.playbook"), id="pane-steps"), VerticalScroll():
                        yield StepsPane(model, id="board-steps")
                    with TabPane(t("board.injects"), id="pane-injects"), VerticalScroll():
                        yield InjectsPane(model, id="board-injects")
                    with TabPane(t("board.log"), id="pane-log"):
                        yield EventLog(id="event-log")

    def on_mount(self) -> None:
        self.set_interval(0.1, self.flush)

    async def on_screen_resume(self) -> None:
        if self._run is not self.live or self.wide != self._wide_enough():
            await self.recompose()
            self.fill()
        await super().on_screen_resume()

    async def on_resize(self) -> None:
        if self._run is not None and self.wide != self._wide_enough():
            await self.recompose()
            self.fill()

    def fill(self) -> None:
        """Fill every pane from the state (the feed's backlog is already in it)."""
        run = self._run
        if run is None or self._model is None or not self._composed():
            self._filled = False  # the next repaint fills it, once it is all there
            return
        self._filled = True
        if self.wide:
            self.query_one("#pane-contacts").border_title = t("board.contacts")
            self.query_one("#pane-log").border_title = t("board.log")
            self.query_one("#board-progress").border_title = t("board.progress")
            self.query_one("#board-steps").border_title = t("board.playbook")
            self.query_one("#board-injects").border_title = t("board.injects")
        self.query_one("#board-summary").border_title = t("board.summary")
        run.feed.take()
        self._pending_log.clear()
        log = self.query_one("#event-log", EventLog)
        log.clear()
        model = self._model
        log.add(line for line in map(model.log_line, run.state_events()) if line is not None)
        self._last_clock = ""
        self._shown_report = ""
        self._last_second = -1
        self._last_status = None
        self.flush(force=True)
        gc.freeze()
        self._frozen_at = time.monotonic()
        self.query_one("#contact-table", ContactTable).focus()

    def _composed(self) -> bool:
        """False until the whole body is mounted (a board shown as its run begins, or
        composed again for another run, can be mounted before its last panes are)."""
        return bool(self.query("#board-status")) and bool(self.query("#event-log"))

    # -- repainting ------------------------------------------------------------------

    def flush(self, force: bool = False) -> None:
        """Apply what changed since the last call: rows on screen, panes, log, clock."""
        run, model = self._run, self._model
        if run is None or model is None or not self.is_attached or not self._composed():
            return
        if not self._filled:
            self.fill()
            return
        self.flushes += 1
        dirty, sections, events = run.feed.take()
        table = self.query_one("#contact-table", ContactTable)
        everything = force or "rows" in sections
        model.recount(model.rows if everything else dirty)
        if model.sync_rows() or everything or (model.filter != "all" and dirty):
            table.set_rows(model.visible_rows())
        elif dirty:
            table.refresh_rows(dirty)
        now = time.monotonic()
        elapsed = run.elapsed()
        second = int(elapsed)
        tick = second != self._last_second
        self._last_second = second
        if "progress" in sections:
            self._progress_due = True
        if force or tick or (self._progress_due and now - self._progress_at >= _SLOW_EVERY):
            # Dozens of levels and sites: redrawn at most twice a second (and each second,
            # for the target countdowns).
            self._progress_due = False
            self._progress_at = now
            self.query_one("#board-progress", ProgressPane).show(elapsed)
        if force or tick or "steps" in sections:
            self.query_one("#board-steps", StepsPane).show(elapsed)
        if force or tick or "injects" in sections:
            self.query_one("#board-injects", InjectsPane).show(elapsed)
        self._pending_log.extend(events)
        if self._pending_log and (force or now - self._log_written >= _SLOW_EVERY):
            # A log that grows re-lays out its scroll bars: append twice a second.
            self._log_written = now
            batch = [line for line in map(model.log_line, self._pending_log) if line is not None]
            self._pending_log.clear()
            self.query_one("#event-log", EventLog).add(batch)
        if force or tick or "status" in sections or self._summary_stale(run):
            self._show_status(run, elapsed)
        if now - self._frozen_at >= _FREEZE_EVERY:
            self._frozen_at = now
            gc.freeze()
        self._glance_if_handed_to_me(run)

    def _show_status(self, run: Run, elapsed: float) -> None:
        clock = clock_text(elapsed)
        if clock != self._last_clock:
            self._last_clock = clock
            self.query_one("#board-elapsed", Digits).update(clock)
            self.query_one(NavBar).update_run()  # the header says the same, not a second later
        state = run.state
        out = RichText()
        if run.incident:
            out.append(f" {t('board.mode.incident')} ", "bold white on red")
        else:
            out.append(f" {t('board.mode.drill')} ", "bold black on yellow")
        if run.simulated:
            out.append(f" {t('board.simulated')}", "dim")
        status = run.status
        style = {
            "paused": "bold yellow",
            "aborted": "bold red",
            "failed": "bold red",
            "completed": "bold green",
        }.get(status, "bold")
        out.append(f"  {words(language()).outcome(status)}", style)
        in_charge = in_charge_text(self._model) if self._model is not None else None
        if in_charge is not None:  # who is in charge (a person), not who runs it (an engine)
            out.append(f"  {in_charge}", "bold")
        presence = run.presence
        if presence is not None:  # on a shared store: who runs it, who else watches
            said = words(language()).presence(presence.owner_name, presence.watcher_names)
            out.append(f"  {said}", "dim")
        out.append(f"\n{pick(run.scenario.title)}", "bold")
        if self._model is not None:
            out.append("\n" + self._model.counts_text(elapsed))
            tally = self._model.tally_text()
            if tally:
                out.append("\n" + tally)
        if state.updates:  # status updates (第N報): acknowledged k/n each
            out.append("\n" + updates_line(run.plan, state), "cyan")
        if self._model is not None and self._model.filter != "all":
            name = t(f"board.filter.{self._model.filter}")
            out.append("  " + t("board.filter_label", name=name), "yellow")
        if out != self._last_status:
            self._last_status = out
            self.query_one("#board-status", Static).update(out, layout=False)
        summary_pane = self.query_one("#board-summary", SummaryPane)
        ended = state.ended is not None
        if summary_pane.display != ended:
            summary_pane.display = ended
        if ended:
            self._shown_report = self._report_text(run)
            summary_pane.show(self._shown_report)

    def _summary_stale(self, run: Run) -> bool:
        """The report's line changes with no event of the drill: 報告書を作成中… gives way
        to the report's path (or its error) when the worker is done."""
        return run.state.ended is not None and self._report_text(run) != self._shown_report

    def _report_text(self, run: Run) -> str:
        if run.report_path:
            return t("board.report_at", path=run.report_path)
        if run.report_error:
            return run.report_error
        return t("board.report_building") if self.drill_app.report_pending else ""

    # -- actions ---------------------------------------------------------------------

    def _open_run(self) -> Run | None:
        run = self.live
        if run is None or not run.active:
            self.notify(t("board.idle"), severity="warning")
            return None
        return run

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Taking a drill over is offered only on a drill followed from another engine.
        if action == "take_over":
            run = self.live
            return run is not None and run.attached and run.active
        return True

    def action_take_over(self) -> None:
        """Run the followed drill here, once its engine has let it go (a hand-over)."""
        self.drill_app.take_over()

    def action_filter(self) -> None:
        model = self._model
        if model is None:
            return
        model.filter = FILTERS[(FILTERS.index(model.filter) + 1) % len(FILTERS)]
        self.query_one("#contact-table", ContactTable).set_rows(model.visible_rows())
        self.flush(force=True)

    def action_next_pane(self) -> None:
        if self.wide or self._run is None:
            focusable = [w for w in self.focus_chain if w.id in ("contact-table", "event-log")]
            if focusable:
                self.focus_next()
            return
        tabs = self.query_one("#board-tabs", TabbedContent)
        current = _PANES.index(tabs.active) if tabs.active in _PANES else 0
        tabs.active = _PANES[(current + 1) % len(_PANES)]

    def action_acknowledge(self) -> None:
        run = self._open_run()
        if run is None or self._model is None:
            return
        choices = self._model.ack_choices()
        if not choices:
            self.notify(t("ack.nobody"))
            return
        current = self.query_one("#contact-table", ContactTable).current
        zone = self._model.zone
        dialog = ManualAckDialog(
            choices,
            now=run.now().astimezone(zone),
            operator=self.drill_app.operator,
            selected=row_id(current) if current is not None else None,
            answers=self._model.answer_choices(),
        )
        self.app.push_screen(dialog, self._acknowledged)

    def _acknowledged(self, entry: AckEntry | None) -> None:
        if entry is not None:
            self.drill_app.operator = entry.entered_by
            self._record_ack(entry)

    @work(group="operator", exit_on_error=False)
    async def _record_ack(self, entry: AckEntry) -> None:
        run = self.live
        if run is None:
            return
        try:
            await run.acknowledge(
                row_key(entry.row),
                entered_by=entry.entered_by,
                when=entry.received_at.astimezone(dt.UTC),
                choice=entry.choice,
            )
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        cells = run.model.cells(row_key(entry.row))
        self.notify(t("ack.done", name=cells.name.lstrip("↪")))
        self.flush()

    def action_complete_step(self) -> None:
        run = self._open_run()
        if run is None or self._model is None:
            return
        steps = self._model.open_steps()
        if not steps:
            self.notify(t("step.none"))
            return
        self.app.push_screen(StepDialog(steps, operator=self.drill_app.operator), self._step)

    def _step(self, choice: tuple[str, str] | None) -> None:
        if choice is not None:
            self.drill_app.operator = choice[1]
            self._complete(choice[0], choice[1])

    @work(group="operator", exit_on_error=False)
    async def _complete(self, step: str, by: str) -> None:
        run = self.live
        if run is None:
            return
        try:
            await run.complete_step(step, by=by)
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        title = next((line.title for line in run.model.step_lines(0) if line.step == step), step)
        self.notify(t("step.done", title=title))
        self.flush()

    def action_note(self) -> None:
        if self._open_run() is None:
            return
        self.app.push_screen(NoteDialog(operator=self.drill_app.operator), self._noted)

    def _noted(self, note: tuple[str, str] | None) -> None:
        if note is not None:
            self.drill_app.operator = note[1]
            self._write_note(*note)

    @work(group="operator", exit_on_error=False)
    async def _write_note(self, text: str, by: str) -> None:
        run = self.live
        if run is None:
            return
        try:
            await run.add_note(text, by=by)
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        self.notify(t("note.done"))
        self.flush()

    def action_pause(self) -> None:
        if self._open_run() is not None:
            self._toggle_pause()

    @work(group="operator", exit_on_error=False)
    async def _toggle_pause(self) -> None:
        run = self.live
        if run is None:
            return
        try:
            paused = await run.toggle_pause(by=self.drill_app.operator or "operator")
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        self.notify(t("pause.paused") if paused else t("pause.resumed"))
        self.flush(force=True)

    def action_abort(self) -> None:
        if self._open_run() is None:
            return
        self.app.push_screen(AbortDialog(operator=self.drill_app.operator), self._aborted)

    def _aborted(self, choice: tuple[str, str] | None) -> None:
        if choice is not None:
            self.drill_app.operator = choice[1]
            self.drill_app.abort_run(reason=choice[0], by=choice[1])

    def action_handover(self) -> None:
        """Pass the charge of the drill (責任者) to someone: a dialog, then the glance."""
        run = self._open_run()
        if run is None:
            return
        officer = run.state.officer
        dialog = HandoverDialog(
            current=officer.name if officer is not None else None,
            operator=self.drill_app.operator,
        )
        self.app.push_screen(dialog, self._handed)

    def _handed(self, entry: Handover | None) -> None:
        if entry is not None:
            self.drill_app.operator = entry.by
            self._hand_over(entry)

    @work(group="operator", exit_on_error=False)
    async def _hand_over(self, entry: Handover) -> None:
        run = self.live
        if run is None:
            return
        try:
            await run.hand_over(entry.to, by=entry.by, note=entry.note)
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        self.notify(handover_word("done", language(), name=entry.to))
        self.flush(force=True)
        self._show_glance(run)

    def _show_glance(self, run: Run) -> None:
        """The new officer's glance at the drill (`drill.tui.handover`)."""
        officer = run.state.officer
        if officer is not None:
            self._glanced.add((run.drill_id, officer.seq))
        self.app.push_screen(GlanceScreen(glance(run.model, run.elapsed())))

    def _glance_if_handed_to_me(self, run: Run) -> None:
        """Show the glance once when the drill's charge is handed to this console's
        operator: from another console, or before this one attached."""
        officer = run.state.officer
        if officer is None or officer.handover is None:
            return
        if (run.drill_id, officer.seq) in self._glanced:
            return
        if officer.name != self.drill_app.operator:
            self._glanced.add((run.drill_id, officer.seq))
            return
        if self.app.screen is self:  # else once the board is on top again
            self._show_glance(run)

    # -- paging now (g) and marking someone away (u) ----------------------------------

    def action_page_now(self) -> None:
        run = self._open_run()
        if run is None or self._model is None:
            return
        plan = self._model.plan
        choices: list[tuple[str, str, str]] = []
        if plan is not None:
            for person in plan.people:
                label = t("page.person", name=person.name)
                choices.append((label, f"person:{person.id}", f"{person.kana or ''} {person.id}"))
            for role in plan.roles:
                label = t("page.role", name=pick(role.name))
                choices.append((label, f"role:{role.id}", f"{role.name.ja} {role.id}"))
        dialog = PageDialog(choices, operator=self.drill_app.operator)
        self.app.push_screen(dialog, self._page_chosen)

    def _page_chosen(self, choice: PageChoice | None) -> None:
        if choice is not None:
            self.drill_app.operator = choice.by
            self._page(choice)

    @work(group="operator", exit_on_error=False)
    async def _page(self, choice: PageChoice) -> None:
        run = self.live
        if run is None:
            return
        try:
            order = await run.page_now(
                choice.asked,
                by=choice.by,
                target=choice.target,
                name=choice.name,
                phone=choice.phone,
                email=choice.email,
            )
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        if order.asked == "unanswered":
            people = len(set(order.people))
            self.notify(t("page.done_unanswered", people=people, pages=len(order.people)))
        else:
            name = order.target_name or order.target or ""
            self.notify(t("page.done", name=name, pages=len(order.people)))
        self.flush()

    def action_mark_away(self) -> None:
        run = self._open_run()
        model = self._model
        if run is None or model is None:
            return
        current = self.query_one("#contact-table", ContactTable).current
        person = self._person_of(current) if current is not None else None
        if person is None:
            self.notify(t("page.away_nobody"), severity="warning")
            return
        now = run.now()
        mark = model.state.console_mark(person[0], now)
        marked = None
        if mark is not None:
            until = (
                t("page.report_until", at=f"{mark.until.astimezone(model.zone):%H:%M}")
                if mark.until is not None
                else t("page.report_until_end")
            )
            reason = absence_reason(mark.reason, language())
            marked = t("page.away_marked", name=person[1], until=until, reason=reason)
        dialog = AwayDialog(
            person[0],
            person[1],
            now=now.astimezone(model.zone),
            operator=self.drill_app.operator,
            marked=marked,
        )
        self.app.push_screen(dialog, self._away_chosen)

    def _person_of(self, key: tuple[str, str, str]) -> tuple[str, str] | None:
        """Whoever is being paged (or was last) for the contact `key`, else its holder."""
        model = self._model
        if model is None:
            return None
        contact = model.state.contacts.get(key)
        if contact is not None and contact.person_id:
            return contact.person_id, model.person_name(contact.person_id)
        plan = model.plan
        if plan is None or not (plan.has("person", key[2]) or plan.is_role(key[2])):
            return None
        candidates = plan.candidates(key[2])
        return (candidates[0].id, candidates[0].name) if candidates else None

    def _away_chosen(self, choice: AwayChoice | None) -> None:
        if choice is not None:
            self.drill_app.operator = choice.by
            self._mark_away(choice)

    @work(group="operator", exit_on_error=False)
    async def _mark_away(self, choice: AwayChoice) -> None:
        run = self.live
        if run is None:
            return
        until = choice.until.astimezone(dt.UTC) if choice.until is not None else None
        try:
            if choice.back:
                await run.mark_available(choice.person, by=choice.by)
            else:
                await run.mark_unavailable(
                    choice.person, reason=choice.reason, until=until, by=choice.by
                )
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        name = self._model.person_name(choice.person) if self._model is not None else ""
        if choice.back:
            self.notify(t("page.back_done", name=name))
        else:
            reason = absence_reason(choice.reason, language())
            self.notify(t("page.away_done", name=name, reason=reason))
        self.flush()

    def action_send_update(self) -> None:
        run = self._open_run()
        if run is None:
            return
        state, plan, scenario = run.state, run.plan, run.scenario

        def preview(kind: str, audience: str, text: str) -> str:
            return preview_text(plan, scenario, state, kind, audience, text)

        dialog = UpdateDialog(
            number=len(state.updates) + 1,
            kinds=kind_choices(state),
            audiences=audience_choices(plan, scenario),
            preview=preview,
            operator=self.drill_app.operator,
        )
        self.app.push_screen(dialog, self._update_chosen)

    def _update_chosen(self, choice: UpdateChoice | None) -> None:
        if choice is not None:
            self.drill_app.operator = choice.by
            self._send_update(choice)

    @work(group="operator", exit_on_error=False)
    async def _send_update(self, choice: UpdateChoice) -> None:
        run = self.live
        if run is None:
            return
        try:
            number = await run.issue_update(
                choice.text, kind=choice.kind, audience=choice.audience, by=choice.by
            )
        except Exception as exc:
            self.drill_app.show_error(exc)
            return
        update = run.state.update(number) if number is not None else None
        count = update.recipients if update is not None else 0
        self.notify(t("update.sent", number=number or "", count=count))
        self.flush(force=True)

    @on(ContactTable.Highlighted)
    def _row(self, message: ContactTable.Highlighted) -> None:
        message.stop()

    def show_engine_error(self, error: DrillError) -> None:
        self.drill_app.show_error(error)
