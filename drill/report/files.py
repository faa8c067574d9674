"""Report files: build a drill's report from the event store and write it to disk.

`write_report` is what every run calls at its end (the console, the calendar; `drillkit
run` calls `write_report_folded` with the run's own fold): HTML, Markdown and JSON (and
CSV on request) under `<data dir>/reports/<drill_id>/`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from drill.config import data_dir
from drill.engine.events import DrillStarted, Event
from drill.engine.sink import StoredEvent
from drill.engine.state import DrillState
from drill.plan import Plan, PlanError, load_plan, sample_plan_dir
from drill.report import kept_history
from drill.report.chain_check import ChainHelper
from drill.report.csv_report import EventsCsv, events_zone, open_csv, render_contacts_csv, write_csv
from drill.report.events_file import EventsFileHelper, write_events_file
from drill.report.history import as_past
from drill.report.html_report import render_html
from drill.report.json_report import json_parts, render_json
from drill.report.markdown_report import render_markdown
from drill.report.model import build_from
from drill.report.operator import render_operator_csv
from drill.report.pdf import ReportError
from drill.report.present import Presenter
from drill.report.source import Source
from drill.report.types import Integrity, Report
from drill.report.updates import render_updates_csv
from drill.store import EventStore
from drill.store.anchor import sign_anchor
from drill.store.chain import VerifyResult
from drill.store.gc_pause import gc_paused
from drill.store.records import EventRecord
from drill.words import check_lang

__all__ = [
    "FORMATS",
    "RunFold",
    "integrity_of",
    "load_report",
    "render_report",
    "report_language",
    "write_report",
    "write_report_folded",
]

FORMATS = ("html", "md", "json", "csv")
"""Earlier drills of the same scenario shown side by side (the most recent ones)."""

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class RunFold:
    """What the run that wrote a drill holds at its end: its own fold of the events it
    had committed (`DrillRunner.state`), and the seq and hash of the last of them
    (`DrillRunner.written`)."""

    state: DrillState
    seq: int
    head: str
    helper: ChainHelper | None = None
    """A helper started during the run to check the stored chain (`ChainHelper.ahead`),
    told which drill at the report; it ends with the report."""


def _plan(plan_dir: Path | str | None) -> Plan | None:
    if plan_dir is None:
        return None
    try:
        return load_plan(Path(plan_dir), lint=False).plan
    except (PlanError, OSError):
        return None


async def _resolve(store: EventStore, drill_id: str) -> str:
    if drill_id != "latest":
        return drill_id
    latest = await store.latest_drill_id()
    if latest is None:
        raise ReportError(f"There is no drill in {store.where} yet; run one with `drillkit run`.")
    return latest


async def load_report(
    store: EventStore, drill_id: str, plan_dir: Path | None = None, plan: Plan | None = None
) -> tuple[Report, Plan | None, str]:
    """Build the report of `drill_id` ("latest" works) from the store.

    The plan is `plan` (the run that just ended has it loaded: reading it again cost a
    third of a small report), else `plan_dir`, else the directory the drill ran with,
    else (for a drill of the bundled sample) the sample plan; the report still builds
    without one.
    """
    drill_id = await _resolve(store, drill_id)
    with gc_paused():
        report, plan, _ = await _load(store, drill_id, plan_dir, plan, None)
    return report, plan, drill_id


class _Reading:
    """What `read_verified` hands over, taken as it comes: the one fold, fed event by
    event, and (for events.csv) each stored row written out, none of them kept."""

    def __init__(self, events_csv: TextIO | None) -> None:
        self.state = DrillState()
        self.first: Event | None = None
        self._out = events_csv
        self._rows: EventsCsv | None = None

    def take_event(self, stored: StoredEvent) -> None:
        if self.first is None:
            self.first = stored.event
        self.state.take(stored)

    def take(self, record: EventRecord, stored: StoredEvent) -> None:
        if self.first is None:
            self.first = stored.event
        self.state.take(stored)
        if self._out is not None:
            if self._rows is None:  # the zone is the drill's own: its first event says it
                self._rows = EventsCsv(self._out, events_zone(stored.event))
            self._rows.add(record)


async def _load(
    store: EventStore,
    drill_id: str,
    plan_dir: Path | None,
    plan: Plan | None,
    events_csv: TextIO | None,
    run: RunFold | None = None,
) -> tuple[Report, Plan | None, DrillState]:
    """`load_report` of a resolved drill id, and the fold it was made from; its events.csv
    to `events_csv`, if given.

    One read of the store serves the events (folded as they come), the rows of
    events.csv and the hash chain's check. With `run` (the end of the run that wrote the
    drill) and no events.csv to write, only the chain is read: when it is sound and ends
    at the run's last event, the store holds exactly the events the run folded, and
    the run's fold is the fold of the stored events. A large drill's chain is checked
    meanwhile by a helper process (`drill.report.chain_check`) while the report is built
    from the run's fold; only its integrity waits for the check.
    """
    if run is not None and events_csv is None:
        helper = await _chain_helper(store, drill_id, run)
        try:
            if helper is not None:
                built = await _build(store, drill_id, run.state, run.state.started, plan_dir, plan)
                found = await helper.verified()
                if found is None:  # the helper failed: checked here, as for a small drill
                    found = await store.verify_chain(drill_id)
                verified = _of_run(drill_id, run, found)
                if verified is not None:
                    return _finish(drill_id, built, verified)
                del built  # the store holds more or other than the run's events
            else:
                verified = _of_run(drill_id, run, await store.verify_chain(drill_id))
                if verified is not None:
                    built = await _build(
                        store, drill_id, run.state, run.state.started, plan_dir, plan
                    )
                    return _finish(drill_id, built, verified)
        finally:
            if helper is not None:
                await helper.stop()
    reading = _Reading(events_csv)
    if events_csv is None:
        verified = await store.read_events_verified(drill_id, reading.take_event)
    else:
        verified = await store.read_verified(drill_id, reading.take)
    built = await _build(store, drill_id, reading.state, reading.first, plan_dir, plan)
    return _finish(drill_id, built, verified)


@dataclasses.dataclass(frozen=True, slots=True)
class _Built:
    """A report built but for its integrity, and what it was built from."""

    report: Report
    plan: Plan | None
    source: Source


async def _build(
    store: EventStore,
    drill_id: str,
    state: DrillState,
    started: Event | None,
    plan_dir: Path | None,
    plan: Plan | None,
) -> _Built:
    """The report of the drill folded into `state`, which began with `started`, but for
    its integrity (`_finish`)."""
    if not isinstance(started, DrillStarted):
        raise ReportError(
            f"There is no drill {drill_id!r} in {store.where}. `drillkit drills` lists them."
        )
    if plan is None:
        plan = _plan(plan_dir) if plan_dir is not None else _plan(started.plan_root)
    if plan is None and plan_dir is None:
        sample = _plan(sample_plan_dir())
        if sample is not None and sample.info.organisation.ja == started.organisation:
            plan = sample
    source = Source.of(state, plan)
    history = await kept_history.earlier_drills(store, started, source.regional)
    return _Built(build_from(source, history=history), plan, source)


def _finish(
    drill_id: str, built: _Built, verified: VerifyResult
) -> tuple[Report, Plan | None, DrillState]:
    """`built` with `verified`'s integrity (only a field of the report: nothing else of
    the build reads it), and this drill kept for year on year."""
    source = built.source
    report = dataclasses.replace(built.report, integrity=integrity_of(drill_id, verified))
    if verified.ok and verified.head_hash is not None and verified.count:
        # This drill's row of year on year, for the reports of the drills after it.
        kept_history.keep(
            kept_history.key_of((verified.count, verified.head_hash), source.regional),
            as_past(source),
        )
    return report, built.plan, source.state


async def _chain_helper(store: EventStore, drill_id: str, run: RunFold) -> ChainHelper | None:
    """The helper checking the chain: the one the run started, told the drill now, or
    one started now; None when the chain is checked in this process."""
    if run.helper is None:
        return await ChainHelper.start(store, drill_id, run.seq)
    return run.helper if await run.helper.check(drill_id, run.seq) else None


def _of_run(drill_id: str, run: RunFold, verified: VerifyResult) -> VerifyResult | None:
    """`verified`, the store's chain, when it is exactly the one `run` wrote; else None."""
    if verified.ok and verified.count == run.seq and verified.head_hash == run.head:
        return verified
    # Another writer added to the drill (a late answer through another ack server), or
    # the record was changed: the report is of what the store holds.
    log.info(
        "the report of %s reads its events back: the store holds %s events up to %s, "
        "the run wrote %s up to %s (%s)",
        drill_id,
        verified.count,
        verified.head_hash,
        run.seq,
        run.head,
        verified.problem or "chain sound",
    )
    return None


def integrity_of(drill_id: str, verified: VerifyResult) -> Integrity:
    """What `EventStore.verify` found, with the chain's head signed when an anchor key is
    configured (`drill.store.anchor`): the report prints both."""
    anchor = sign_anchor(drill_id, verified)
    return Integrity(
        head_hash=verified.head_hash,
        event_count=verified.count,
        verified=verified.ok,
        problem=verified.problem,
        signature=anchor.signature if anchor is not None else None,
        public_key=anchor.public_key if anchor is not None else None,
        key_id=anchor.key_id if anchor is not None else None,
    )


def report_language(lang: str | None, plan: Plan | None) -> str:
    if lang is not None:
        return lang
    return plan.info.language if plan is not None else "ja"


async def write_report(
    store: EventStore,
    drill_id: str,
    plan_dir: Path | None = None,
    formats: Sequence[str] = ("html", "md", "json"),
    out_dir: Path | None = None,
    lang: str | None = None,
    plan: Plan | None = None,
) -> list[Path]:
    """Write the report of `drill_id` in each of `formats`; returns the files written.

    Files go to `out_dir`, by default `<data dir>/reports/<drill_id>/`: report.html,
    report.md, report.json, and for csv contacts.csv and events.csv.
    """
    written, _ = await _write_report(
        store, drill_id, plan_dir, formats, out_dir, lang, plan, keep_fold=False
    )
    return written


async def write_report_folded(
    store: EventStore,
    drill_id: str,
    plan_dir: Path | None = None,
    formats: Sequence[str] = ("html", "md", "json"),
    out_dir: Path | None = None,
    lang: str | None = None,
    plan: Plan | None = None,
    *,
    run: RunFold | None = None,
) -> tuple[list[Path], DrillState]:
    """`write_report`, and the fold of the drill's stored events the report was made from
    (the end of a run hands it on as the run's outcome).

    `run`: the fold of the run that wrote the drill, taken as the stored events' fold
    when the store's chain ends exactly at the run's last event (see `_load`).
    """
    written, state = await _write_report(
        store, drill_id, plan_dir, formats, out_dir, lang, plan, keep_fold=True, run=run
    )
    assert state is not None
    return written, state


async def _write_report(
    store: EventStore,
    drill_id: str,
    plan_dir: Path | None,
    formats: Sequence[str],
    out_dir: Path | None,
    lang: str | None,
    plan: Plan | None,
    *,
    keep_fold: bool,
    run: RunFold | None = None,
) -> tuple[list[Path], DrillState | None]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ReportError(f"unknown report format(s): {', '.join(unknown)}; use {FORMATS}")
    drill_id = await _resolve(store, drill_id)
    folder = out_dir if out_dir is not None else data_dir() / "reports" / drill_id
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    # events.csv is written while the drill is read, under a temporary name: it becomes
    # events.csv only once the chain has been checked and every other file is written.
    pending = folder / f".events.csv.{os.getpid()}.part" if "csv" in formats else None
    try:
        # What is not handed back is dropped before the collector runs again: it then
        # frees the fold (its handlers make it a cycle) in one walk (drill.store.gc_pause).
        with gc_paused():
            written, folded = await _write(
                store, drill_id, plan_dir, formats, folder, lang, plan, pending, run
            )
            state = folded if keep_fold else None
            del folded
        if pending is not None:
            pending.replace(folder / "events.csv")
    except BaseException:
        if pending is not None:
            pending.unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):  # left alone if anything is in it
                folder.rmdir()
        raise
    return written, state


async def _write(
    store: EventStore,
    drill_id: str,
    plan_dir: Path | None,
    formats: Sequence[str],
    folder: Path,
    lang: str | None,
    plan: Plan | None,
    pending: Path | None,
    run: RunFold | None,
) -> tuple[list[Path], DrillState]:
    """`write_report`'s files and fold; events.csv to `pending`, which it then only renames.

    A large drill's events.csv is written meanwhile by a helper process (see
    `drill.report.events_file`), and by this one if the helper's file is not exactly the
    drill this process verified.
    """
    helper = await EventsFileHelper.start(store, drill_id, pending) if pending else None
    try:
        return await _write_with(
            store, drill_id, plan_dir, formats, folder, lang, plan, pending, helper, run
        )
    finally:
        if helper is not None:
            await helper.stop()


async def _write_with(
    store: EventStore,
    drill_id: str,
    plan_dir: Path | None,
    formats: Sequence[str],
    folder: Path,
    lang: str | None,
    plan: Plan | None,
    pending: Path | None,
    helper: EventsFileHelper | None,
    run: RunFold | None,
) -> tuple[list[Path], DrillState]:
    with contextlib.ExitStack() as stack:
        events_csv = (
            stack.enter_context(open_csv(pending))
            if pending is not None and helper is None
            else None
        )
        report, plan, state = await _load(store, drill_id, plan_dir, plan, events_csv, run)
    language = report_language(lang, plan)
    # One presenter for every format: each contact's cells are made once, not per file.
    presenter = Presenter(report, check_lang(language))
    written: list[Path] = []
    for fmt in formats:
        if fmt == "csv":
            contacts = render_contacts_csv(report, language, presenter=presenter)
            written.append(write_csv(folder / "contacts.csv", contacts))
            if report.updates:  # status updates (第N報): one row per person sent one
                updates = render_updates_csv(report, language)
                written.append(write_csv(folder / "updates.csv", updates))
            if report.operator:  # pages ordered now and people marked away
                operator = render_operator_csv(report, language)
                written.append(write_csv(folder / "operator.csv", operator))
            written.append(folder / "events.csv")
            continue
        path = folder / f"report.{fmt}"
        if fmt == "json":  # the largest file: written as it is made
            with path.open("w", encoding="utf-8") as out:
                out.writelines(json_parts(report))
        else:
            path.write_text(
                render_report(report, fmt, language, presenter=presenter), encoding="utf-8"
            )
        written.append(path)
    if helper is not None and pending is not None and not await helper.finish(report.integrity):
        await write_events_file(store, drill_id, pending)
    return written, state


def render_report(
    report: Report, fmt: str, lang: str, *, presenter: Presenter | None = None
) -> str:
    """`report` in `fmt`; `presenter` as `render_html` takes it."""
    if fmt == "html":
        return render_html(report, lang, presenter=presenter)
    if fmt == "md":
        return render_markdown(report, lang, presenter=presenter)
    if fmt == "json":
        return render_json(report)
    return render_contacts_csv(report, lang, presenter=presenter)
