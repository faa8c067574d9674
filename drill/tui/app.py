"""The drillkit console: plan, contact trees, scenarios, the live board and the history.

The plan loads in a worker while the first screen paints; the event store opens in
another, and interrupted runs are offered for resuming once it is open. A run's engine
runs inside this app's event loop (see `drill.tui.session`); its failures, and any
`DrillError`, are shown in a modal that says what to do, and the run goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from drill.engine.lease import LeaseHeld
from drill.errors import DrillError, EngineError
from drill.tui import i18n
from drill.tui.dialogs import (
    ErrorDialog,
    IncidentDialog,
    QuitChoice,
    QuitDialog,
    ResumeDialog,
    StartChoice,
    StartDrillDialog,
)
from drill.tui.i18n import pick, t
from drill.tui.screens.base import DrillScreen
from drill.tui.screens.help import HelpScreen
from drill.tui.settings import default_operator, save_language
from drill.words import words

if TYPE_CHECKING:
    from drill.engine.assembly import ClockRequest
    from drill.engine.events import DrillMode, DrillStarted
    from drill.engine.notifier import Notifier
    from drill.engine.sink import EventSink
    from drill.plan import LoadedPlan, PlanError
    from drill.store.consoles import ConsoleIdentity
    from drill.tui.channels import RealChannels
    from drill.tui.records import Records, RunRecord
    from drill.tui.session import ClockKind, LiveRun, Run, RunRequest

__all__ = ["DrillApp"]

log = logging.getLogger(__name__)


def _screen(mode: str) -> Screen[None]:
    """The screen of a mode, imported when first shown: the first paint waits for none."""
    if mode == "plan":
        from drill.tui.screens.plan import PlanScreen

        return PlanScreen()
    if mode == "contacts":
        from drill.tui.screens.contacts import ContactsScreen

        return ContactsScreen()
    if mode == "scenarios":
        from drill.tui.screens.scenarios import ScenariosScreen

        return ScenariosScreen()
    if mode == "board":
        from drill.tui.screens.board import BoardScreen

        return BoardScreen()
    from drill.tui.screens.history import HistoryScreen

    return HistoryScreen()


def _load(directory: Path | None) -> LoadedPlan:
    from drill.plan import load_plan, sample_plan_dir

    return load_plan(directory or sample_plan_dir())


class DrillApp(App[None]):
    """The console. `DrillApp(plan_dir).run()`; tests use `run_test()` and virtual time."""

    CSS_PATH = Path(__file__).parent / "drill.tcss"  # absolute: subclasses live elsewhere
    TITLE = "drillkit"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (118, "-wide")]  # noqa: RUF012 (Textual's)
    MODES: ClassVar[dict[str, str | Callable[[], Screen[None]]]] = {
        "plan": lambda: _screen("plan"),
        "contacts": lambda: _screen("contacts"),
        "scenarios": lambda: _screen("scenarios"),
        "board": lambda: _screen("board"),
        "history": lambda: _screen("history"),
    }
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("1", "show('plan')", "key.plan", show=False),
        Binding("2", "show('contacts')", "key.contacts", show=False),
        Binding("3", "show('scenarios')", "key.scenarios", show=False),
        Binding("4", "show('board')", "key.board", show=False),
        Binding("5", "show('history')", "key.history", show=False),
        Binding("question_mark,f1", "help", "key.help"),
        Binding("l", "toggle_language", "key.language"),
        Binding("q", "quit", "key.quit"),
        Binding("ctrl+q", "quit", "key.quit", show=False, priority=True),
    ]

    def __init__(
        self,
        plan_dir: Path | str | None = None,
        *,
        plan: LoadedPlan | None = None,
        language: str | None = None,
        store_url: str | None = None,
        clock: ClockKind = "real",
        real_channels: RealChannels | bool | None = True,
        operator: str | None = None,
        seed: int = 0,
        drill_ids: Callable[[], str] | None = None,
        offer_resume: bool = True,
        reports: bool = True,
        attach: str | None = None,
    ) -> None:
        super().__init__()
        if language is not None:
            i18n.set_language(language)
        self.plan_dir = Path(plan_dir) if plan_dir is not None else None
        self.loaded: LoadedPlan | None = plan
        self.plan_error: PlanError | None = None
        self.store_url = store_url
        self._records: Records | None = None
        self.clock_kind: ClockKind = clock
        if real_channels is True:
            from drill.tui.channels import ConfiguredChannels

            real_channels = ConfiguredChannels()
        self.real_channels: RealChannels | None = real_channels or None
        """The configured providers (None: simulated people only)."""
        self.operator = operator if operator is not None else default_operator()
        self.seed = seed
        self.drill_ids = drill_ids
        self.offer_resume = offer_resume
        self.reports = reports
        """Write each run's report when it ends."""
        self.attach_to = attach
        """A drill to follow once the store is open (`drillkit tui --attach`)."""
        self._console_identity: ConsoleIdentity | None = None
        self.live_run: Run | None = None
        self.report_pending = False
        self.errors: list[BaseException] = []
        """Every error shown to the user (tests assert on it)."""
        self.ready = asyncio.Event()
        """Set once the plan has been loaded (or failed to load) and its screen shown."""
        self.store_ready = asyncio.Event()
        """Set once the event store has been opened (or failed to open)."""

    # -- start-up --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(t("app.loading"), id="loading")

    def on_mount(self) -> None:
        self.title = t("app.title")
        self._boot()

    @work(exclusive=True, group="boot", exit_on_error=False)
    async def _boot(self) -> None:
        try:
            if self.loaded is None:
                self.loaded = await asyncio.to_thread(_load, self.plan_dir)
        except DrillError as exc:
            from drill.plan import PlanError

            if isinstance(exc, PlanError):
                self.plan_error = exc
            else:
                self.plan_error = PlanError([], None)
                self.show_error(exc)
        except Exception as exc:
            from drill.plan import PlanError

            self.plan_error = PlanError([], None)
            self.show_error(exc)
        await asyncio.to_thread(_warm_up)
        await self.switch_mode("plan")
        self.ready.set()
        await self.records.open()
        self.store_ready.set()
        if self.attach_to is not None:
            self.attach_run(self.attach_to)
        elif self.offer_resume and self.loaded is not None:
            await self._offer_resume()

    @property
    def records(self) -> Records:
        """The event store as the screens see it (opened in a worker at start-up)."""
        if self._records is None:
            from drill.tui.records import Records

            self._records = Records(self.store_url)
        return self._records

    @property
    def console_identity(self) -> ConsoleIdentity:
        """This console as the other consoles and the owning engine see it."""
        if self._console_identity is None:
            from drill.store.consoles import ConsoleIdentity

            self._console_identity = ConsoleIdentity.here(self.operator or None)
        return self._console_identity

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        if self.loaded is not None:
            return self.loaded.plan.info.zone
        return zoneinfo.ZoneInfo("Asia/Tokyo")

    # -- navigation, help, language ----------------------------------------------------

    def show(self, mode: str) -> None:
        if self.loaded is None and self.plan_error is None:
            return
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_show(self, mode: str) -> None:
        self.show(mode)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_toggle_language(self) -> None:
        i18n.set_language("en" if i18n.language() == "ja" else "ja")
        save_language(i18n.language())
        self.title = t("app.title")
        screen = self.screen
        if isinstance(screen, DrillScreen):
            await screen.recompose()
            screen.fill()
            screen.refresh_bindings()
        self.notify(t("app.language_now"))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        def go(mode: str, action: str | None = None) -> Callable[[], object]:
            async def run() -> None:
                if self.current_mode != mode:
                    await self.switch_mode(mode)
                if action is not None:
                    method = getattr(self.screen, f"action_{action}", None)
                    if method is not None:
                        result = method()
                        if asyncio.iscoroutine(result):
                            await result

            return run

        commands: list[tuple[str, Callable[[], object]]] = [
            ("plan", go("plan")),
            ("contacts", go("contacts")),
            ("search", go("contacts", "search")),
            ("reveal", go("contacts", "reveal")),
            ("scenarios", go("scenarios")),
            ("drill", go("scenarios", "start_drill")),
            ("incident", go("scenarios", "start_incident")),
            ("board", go("board")),
            ("ack", go("board", "acknowledge")),
            ("step", go("board", "complete_step")),
            ("note", go("board", "note")),
            ("pause", go("board", "pause")),
            ("abort", go("board", "abort")),
            ("filter", go("board", "filter")),
            ("history", go("history")),
            ("history_open", go("history", "open")),
            ("report", go("history", "report")),
            ("help", self.action_help),
            ("language", self.action_toggle_language),
            ("quit", self.action_quit),
        ]
        for key, callback in commands:
            yield SystemCommand(t(f"cmd.{key}"), t(f"cmd.{key}.help"), callback)

    # -- errors ----------------------------------------------------------------------

    def show_error(self, error: BaseException) -> None:
        """Show `error` in a modal: its message and what to do, never a traceback."""
        self.errors.append(error)
        if not isinstance(error, DrillError):
            log.error("unexpected error", exc_info=error)
        if isinstance(self.screen, ErrorDialog):
            self.screen.add_more()  # one dialog for a burst: a handler failing per event
            return
        self.push_screen(ErrorDialog.for_exception(error))

    def _handle_exception(self, error: Exception) -> None:
        # A handler that raised: Textual would end the app (and the drill with it). The
        # engine and the store are not widgets and carry on; say what happened instead.
        if isinstance(error, Exception) and self.is_running and not self._exit_renderables:
            try:
                self.show_error(error)
                return
            except Exception:
                log.exception("cannot show the error")
        super()._handle_exception(error)

    # -- starting runs -----------------------------------------------------------------

    def _check_can_start(self) -> bool:
        if self.loaded is None:
            self.push_screen(ErrorDialog(t("error.title"), t("app.plan_failed")))
            return False
        if self.live_run is not None and self.live_run.active:
            self.push_screen(ErrorDialog(t("error.title"), t("scenarios.running")))
            return False
        return True

    @property
    def real_channels_available(self) -> bool:
        return self.real_channels is not None and self.real_channels.available()

    @property
    def real_channels_local(self) -> bool:
        """The real channels are the local sandbox (`drillkit demo`): they may run faster."""
        return self.real_channels is not None and getattr(self.real_channels, "local", False)

    def request_drill(self, scenario_id: str) -> None:
        """Ask how to run `scenario_id` as a drill, then start it."""
        if not self._check_can_start():
            return
        assert self.loaded is not None
        scenario = self.loaded.plan.scenario(scenario_id)

        def chosen(choice: StartChoice | None) -> None:
            if choice is None:
                return
            from drill.engine.events import DrillMode
            from drill.tui.session import RunRequest

            request = RunRequest(
                scenario=scenario_id,
                mode=DrillMode.DRILL,
                simulated=choice.simulated,
                speed=choice.speed,
                seed=self.seed,
                operator=self.operator,
            )
            self.start_run(request)

        dialog = StartDrillDialog(
            pick(scenario.title),
            real_available=self.real_channels_available,
            real_is_local=self.real_channels_local,
        )
        self.push_screen(dialog, chosen)

    def request_incident(self, scenario_id: str) -> None:
        """Start `scenario_id` as a real incident, after the explicit confirmation."""
        if not self._check_can_start():
            return
        assert self.loaded is not None
        plan = self.loaded.plan
        if plan.info.sample:
            self.push_screen(ErrorDialog(t("error.title"), t("incident.sample")))
            return
        if not self.real_channels_available:
            self.push_screen(ErrorDialog(t("error.title"), t("incident.no_channels")))
            return
        scenario = plan.scenario(scenario_id)
        people = {p.id for tree in scenario.trees for _, m in plan.members(tree)
                  for p in plan.candidates(m.ref)}  # fmt: skip
        organisation = plan.info.organisation.ja

        def confirmed(ok: bool | None) -> None:
            from drill.engine.events import DrillMode
            from drill.tui.session import RunRequest

            if ok:
                request = RunRequest(
                    scenario=scenario_id,
                    mode=DrillMode.INCIDENT,
                    simulated=False,
                    operator=self.operator,
                )
                self.start_run(request, confirmation=organisation)

        self.push_screen(IncidentDialog(pick(scenario.title), organisation, len(people)), confirmed)

    def start_run(self, request: RunRequest, *, confirmation: str | None = None) -> None:
        """Start a run; a real incident needs `confirmation`, the organisation's name."""
        from drill.engine.events import DrillMode

        if request.mode is DrillMode.INCIDENT:
            organisation = self.loaded.plan.info.organisation.ja if self.loaded else None
            if confirmation is None or confirmation != organisation:
                raise EngineError(
                    "A real incident starts only after its confirmation: "
                    "type the organisation's name in the confirmation dialog."
                )
            if not self.real_channels_available:
                raise EngineError(t("incident.no_channels"))
        if request.speed != 1.0 and not request.simulated and not self.real_channels_local:
            raise EngineError(t("start.real_clock_only"), t("error.title"))
        self._start(request)

    def _clock(self, speed: float = 1.0) -> ClockRequest:
        """The clock of a run: `speed` × real time (the engine refuses a speed for real
        channels other than the sandbox); virtual in tests, on the tests' fixed date. A
        resumed run goes on on the clock it recorded, of the same kind."""
        from drill.engine.assembly import ClockRequest
        from drill.engine.clock import VIRTUAL_START

        if self.clock_kind == "virtual":
            return ClockRequest(kind="virtual", start_at=VIRTUAL_START)
        return ClockRequest(speed=speed)

    async def _sink(self, *, durable: bool) -> EventSink:
        from drill.engine.sink import MemorySink

        store = await self.records.open()
        if store is not None:
            return store
        if self.records.memory is not None:
            return self.records.memory
        if durable:
            raise self.records.error or EngineError(t("error.store"))
        self.notify(t("error.store"), severity="warning", timeout=10)
        return MemorySink()

    async def _notifiers(self, simulated: bool, mode: DrillMode) -> list[Notifier] | None:
        """The real channels of a run; None for a simulated one (the engine's people)."""
        if simulated:
            return None
        if self.real_channels is None or self.loaded is None:
            raise EngineError(t("start.real_unavailable"))
        return list(await self.real_channels.notifiers(self.loaded.plan, mode))

    @work(exclusive=True, group="start", exit_on_error=False)
    async def _start(self, request: RunRequest) -> None:
        from drill.engine.events import DrillMode
        from drill.tui.session import LiveRun, RunRequest

        assert self.loaded is not None
        try:
            real = request.mode is DrillMode.INCIDENT or not request.simulated
            sink = await self._sink(durable=real)
            notifiers = await self._notifiers(request.simulated, request.mode)
            if self.drill_ids is not None:
                request = RunRequest(**{**request.__dict__, "drill_id": self.drill_ids()})
            run = await LiveRun.create(
                self.loaded.plan,
                request,
                sink=sink,
                notifiers=notifiers,
                clock=self._clock(request.speed),
                on_end=self._run_ended,
                on_error=self.show_error,
            )
            self.live_run = run
            run.console = self.console_identity
            self._route_acks(run)
            await self.switch_mode("board")
            await run.begin()
        except Exception as exc:
            self.show_error(exc)

    def _route_acks(self, run: LiveRun) -> None:
        """Let the ack server (callbacks, links, replies) reach a run on real channels."""
        if not run.simulated and self.real_channels is not None:
            self.real_channels.attach(run.drill_id, run.runner)

    async def _offer_resume(self) -> None:
        try:
            plan = self.loaded.plan if self.loaded is not None else None
            runs = await self.records.unfinished(plan=plan)
        except Exception as exc:
            self.show_error(exc)
            return
        if self.live_run is not None:
            runs = [r for r in runs if r.drill_id != self.live_run.drill_id]
        if not runs:
            return
        self.push_screen(ResumeDialog([(self._resume_label(r), r.drill_id) for r in runs]),
                         self._resume_chosen)  # fmt: skip

    def _resume_label(self, run: RunRecord) -> str:
        mode = t("board.mode.incident") if run.mode == "incident" else t("board.mode.drill")
        line = t(
            "resume.line",
            started=run.started_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M"),
            scenario=run.title(i18n.language()),
            mode=mode,
            events=run.events,
        )
        if run.held_by is not None:  # chosen, it is followed, not resumed
            return f"{line}  {words(i18n.language()).presence(run.held_by, ())}"
        return line

    def _resume_chosen(self, drill_id: str | None) -> None:
        if drill_id is not None:
            self.resume_run(drill_id)

    @work(exclusive=True, group="start", exit_on_error=False)
    async def resume_run(self, drill_id: str) -> None:
        """Continue an interrupted run from its stored events."""

        if self.loaded is None or (self.live_run is not None and self.live_run.active):
            return
        try:
            await self._resume(drill_id)
        except LeaseHeld as held:
            # Another engine runs it: follow it instead; never take it over.
            self.notify(held.message, title=held.title, timeout=15)
            try:
                await self._follow_drill(drill_id)
            except Exception as exc:
                self.show_error(exc)
        except Exception as exc:
            self.show_error(exc)

    @work(exclusive=True, group="start", exit_on_error=False)
    async def take_over(self) -> None:
        """Run the followed drill here once no engine holds it (a hand-over); while its
        lease is held, say who holds it and keep following."""
        following = self.live_run
        if following is None or not following.attached or not following.active:
            return
        try:
            await self._resume(following.drill_id, following=following)
        except LeaseHeld as held:
            self.notify(held.message, title=held.title, severity="warning", timeout=15)
        except Exception as exc:
            self.show_error(exc)

    async def _resume(self, drill_id: str, *, following: Run | None = None) -> None:
        """Resume `drill_id` here (`LeaseHeld` while another engine runs it); a drill
        this console was `following` is left for the run."""
        from drill.tui.session import LiveRun

        assert self.loaded is not None
        plan = self.loaded.plan
        store = await self.records.open()
        if store is None:
            raise self.records.error or EngineError(t("error.store"))

        async def notifiers(started: DrillStarted) -> list[Notifier] | None:
            # A run goes on through the kind of channels it used: a sandbox run is
            # never continued through real providers, nor a real one into the sandbox.
            sandbox = started.channels == "sandbox"
            if started.channels in ("sandbox", "real") and sandbox != self.real_channels_local:
                raise EngineError(t(f"resume.channels_{started.channels}", drill=started.drill_id))
            return await self._notifiers(started.simulated, started.mode)

        run = await LiveRun.resume(
            drill_id,
            plan,
            sink=store,
            notifiers=notifiers,
            clock=self._clock(),
            operator=self.operator,
            on_end=self._run_ended,
            on_error=self.show_error,
        )
        if following is not None:
            await following.leave()
        self.records.forget(drill_id)
        self.live_run = run
        run.console = self.console_identity
        self._route_acks(run)
        await self._show_board()
        await run.begin()

    async def _show_board(self) -> None:
        """The board of the current run: shown again (so built again) if it was showing
        the drill followed until now."""
        if self.current_mode == "board":
            await self.switch_mode("plan")
        await self.switch_mode("board")

    @work(exclusive=True, group="start", exit_on_error=False)
    async def attach_run(self, drill_id: str) -> None:
        """Follow a drill another engine runs (or ran): the board, live, from the store."""
        try:
            await self._follow_drill(drill_id)
        except Exception as exc:
            self.show_error(exc)

    async def _follow_drill(self, drill_id: str) -> None:
        from drill.tui.session import AttachedRun

        if self.loaded is None or (self.live_run is not None and self.live_run.active):
            return
        store = await self.records.open()
        if store is None:
            raise self.records.error or EngineError(t("error.store"))
        run = await AttachedRun.attach(
            store,
            drill_id,
            self.loaded.plan,
            console=self.console_identity,
            on_end=self._run_ended,
            on_error=self.show_error,
        )
        self.live_run = run
        await self.switch_mode("board")
        await run.begin()

    def _run_ended(self, run: Run) -> None:
        self.records.forget(run.drill_id)
        if run.attached:
            return  # its own engine's console or command writes its report
        if self.real_channels is not None:
            self.real_channels.detach(run.drill_id)
        if self.reports and run.report_path is None and not self.report_pending:
            self.write_report(run.drill_id, run)

    @work(group="report", exit_on_error=False)
    async def write_report(self, drill_id: str, run: Run | None = None) -> None:
        """Render the report of `drill_id` (a worker: it may take a while)."""
        from drill.tui.reporting import render_report

        self.report_pending = True
        try:
            if self.records.store is not None:
                events = await self.records.events(drill_id)
            else:
                events = run.events if run is not None else []
            plan = self.loaded.plan if self.loaded is not None else None
            path = await render_report(drill_id, events, plan, self.records, i18n.language())
        except Exception as exc:
            if run is not None:
                run.report_error = str(exc)
            self.show_error(exc)
            return
        finally:
            self.report_pending = False
        if path is None:
            message = t("history.report_unavailable")
            if run is not None:
                run.report_error = message
            else:
                self.notify(message)
            return
        if run is not None:
            run.report_path = str(path)
        self.notify(t("history.report_written", path=str(path)), timeout=10)

    # -- ending runs and quitting ------------------------------------------------------

    @work(group="operator", exit_on_error=False)
    async def abort_run(self, *, reason: str, by: str) -> None:
        run = self.live_run
        if run is None or not run.active:
            return
        try:
            await run.abort(by=by, reason=reason)
        except Exception as exc:
            self.show_error(exc)

    async def action_quit(self) -> None:
        run = self.live_run
        if run is not None and run.active and not run.attached:
            self.push_screen(QuitDialog(), self._quit_chosen)
            return
        await self._close_and_exit()

    def _quit_chosen(self, choice: QuitChoice | None) -> None:
        if choice is not None:
            self._quit_with(choice)

    @work(group="quit", exit_on_error=False)
    async def _quit_with(self, choice: QuitChoice) -> None:
        run = self.live_run
        try:
            if run is not None and run.active:
                if choice == "abort":
                    await run.abort(by=self.operator or "operator", reason=t("quit.abort"))
                else:
                    await run.leave()
        except Exception as exc:
            self.show_error(exc)
            return
        await self._close_and_exit()

    async def _close_and_exit(self) -> None:
        run = self.live_run
        if run is not None and run.active:
            await run.leave()
        if self.real_channels is not None:
            await self.real_channels.close()
        await self.records.close()
        self.exit()

    def now(self) -> dt.datetime:
        return self.live_run.now() if self.live_run is not None else dt.datetime.now(dt.UTC)


def _warm_up() -> None:
    """Import the screens' modules off the event loop, so the first switch is quick."""
    import drill.tui.records
    import drill.tui.screens.board
    import drill.tui.screens.contacts
    import drill.tui.screens.history
    import drill.tui.screens.plan
    import drill.tui.screens.scenarios  # noqa: F401
