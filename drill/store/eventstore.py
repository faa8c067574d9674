"""The event store: durable, append-only, hash-chained storage of every drill's events.

`EventStore` implements the engine's `EventSink`. An `append` returns only after the
event is committed (SQLite: WAL with `synchronous=FULL`), so the runner can tell the
TUI, and the ack server can answer a webhook, knowing the event survives a crash.

- Within one store, a single writer task does all the writing, so each drill's `seq` is
  gapless; appends that arrive while it is busy are committed together next (group
  commit), and each caller is answered only when its own events are committed.
- Each such group is one write transaction run in one go, as synchronous SQLAlchemy
  Core: for a SQLite file on the store's own writer thread and engine (see
  `dialect.write_engine`; its reads run on reader threads of their own), elsewhere
  through the async driver's `run_sync`. Every hand-off between the event loop and a
  thread can cost a millisecond or two on a busy machine; one per transaction, rather
  than one per statement and cursor, keeps an awaited append close to the cost of the
  disk flush itself.
- Across processes (the ack server beside the runner) each append is one write
  transaction that reads the chain's head and inserts after it; SQLite's
  `BEGIN IMMEDIATE` (see `dialect`) or, on PostgreSQL, a per-drill advisory lock (no
  row lock: that would need UPDATE on the record) makes the second writer wait. A lost race that still slips through (two writers creating
  the same drill, the same key) hits a primary or unique key and is retried.
- An event whose idempotency key is already recorded for the drill is stored anyway, as
  a duplicate pointing at the original, and reported as such: the record shows that
  the provider called back twice, and the engine applies it once.
- Nothing here updates or deletes the record; the schema's triggers refuse it anyway.
  The one exception is not record but coordination: each drill's lease (one engine per
  drill; `lease`, and `drill.store.leases`), renewed in place by its holder's heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import os
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from sqlalchemy import ARRAY, Row, Text, and_, bindparam, func, insert, select
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from drill.engine.events import EVENT_TYPES, Event, from_record, to_record
from drill.engine.lease import Lease, LeaseOwner, wall_now
from drill.engine.sink import Appended, StoredEvent
from drill.errors import StoreError
from drill.store import consoles, dialect, migrate, postgres
from drill.store.apart import Apart, Group
from drill.store.chain import (
    GENESIS,
    ChainCheck,
    RecordedAtTexts,
    TextHasher,
    VerifyResult,
    canonical_payload_utf8,
    load_json,
    stored_time,
    verify_rows,
)
from drill.store.consoles import ConsoleIdentity, OperatorRequest, RequestAnswer, Watcher
from drill.store.gc_pause import gc_paused
from drill.store.leases import (
    LeaseEntry,
    StoreLease,
    entry_from_row,
    lease_from_row,
    resolve_ttl,
)
from drill.store.location import describe, resolve_url, sqlite_path
from drill.store.records import DrillSummary, EventRecord, UnknownEvent
from drill.store.schema import ad_hoc_points, drill_lease_log, drill_leases, drills, events

if TYPE_CHECKING:  # a SQLite file never loads it (see `drill.store.dialect`)
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["POLL_INTERVAL", "EventStore", "StoreOpening"]

log = logging.getLogger(__name__)

_RACE_RETRIES = 5
"""Attempts when a concurrent writer took the same seq or key first (see module doc)."""
_MAX_ID = 200
"""Longest drill id: the width of the `drill_id` columns."""
POLL_INTERVAL = 0.2
"""Seconds `wait_for_events` waits on a database without notifications (SQLite): a
follower sees another process's events within about this plus one read."""
_READ_THREADS = 4
"""Threads reading a SQLite file at once (a console, the ack server's look-ups, a report)."""
_KEY_CHUNK = 500
"""Keys looked up per query: well under every database's bound-parameter limit."""

Clock = Callable[[], dt.datetime]
_T = TypeVar("_T")


class _Prepared(NamedTuple):
    """An event turned into what is stored, before it has a place in a chain."""

    type_name: str
    text: str
    """Canonical JSON of the payload, as stored and as the hash covers it."""
    key: str | None
    utf8: bytes
    """`text` in UTF-8, as it was written: what the hash reads (`TextHasher.of_utf8`)."""


@dataclasses.dataclass(eq=False)
class _Request:
    """One caller's append, waiting for the writer task."""

    drill_id: str
    prepared: list[_Prepared]
    future: asyncio.Future[list[Appended]]


# The writer's statements, built once: building a SQLAlchemy statement costs more than
# running it on SQLite, and an append runs a few of them.


def _head(column: Any) -> Any:
    return (
        select(column)
        .where(events.c.drill_id == bindparam("drill_id"))
        .order_by(events.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )


_HEAD_COLUMNS = (
    drills.c.drill_id,
    _head(events.c.seq).label("seq"),
    _head(events.c.hash).label("hash"),
)
_HEAD = select(*_HEAD_COLUMNS).where(drills.c.drill_id == bindparam("drill_id"))
"""The drill (None if new) and its chain's head (seq and hash None if it has no events)."""
_HEAD_AND_KEY = select(
    *_HEAD_COLUMNS,
    select(events.c.seq)
    .where(
        events.c.drill_id == bindparam("drill_id"),
        events.c.key == bindparam("key"),
        events.c.duplicate_of.is_(None),
    )
    .scalar_subquery()
    .label("original"),
).where(drills.c.drill_id == bindparam("drill_id"))
"""`_HEAD` and the seq of the original event with `key`, if any."""
_ORIGINALS = select(events.c.key, events.c.seq).where(
    events.c.drill_id == bindparam("drill_id"),
    events.c.key.in_(bindparam("keys", expanding=True)),
    events.c.duplicate_of.is_(None),
)
_ORIGINALS_PG = sql_text(
    "SELECT k.key AS key, (SELECT e.seq FROM events AS e WHERE e.drill_id = :drill_id"
    " AND e.key = k.key AND e.duplicate_of IS NULL) AS seq"
    " FROM unnest(CAST(:keys AS TEXT[])) AS k(key)"
).bindparams(bindparam("keys", type_=ARRAY(Text)))
"""`_ORIGINALS` for PostgreSQL: one probe of the (drill, key) index per key, whatever the
planner believes of the table. `key IN (…)` let it scan every entry of the drill in that
index and filter (its statistics of a table filled during the drill say "tiny"), which
made a long drill's appends quadratic: 38 of 101 s of the 17,000-contact drill."""
_CHAIN_COLUMNS = 'SELECT seq, type, recorded_at, payload, "key", duplicate_of, prev_hash, hash'
_CHAIN = sql_text(f"{_CHAIN_COLUMNS} FROM events WHERE drill_id = :drill_id ORDER BY seq")
"""A drill's rows, unconverted, in `ChainRow`'s order (what verify and reads fetch)."""
_CHAIN_AFTER = sql_text(
    f"{_CHAIN_COLUMNS} FROM events WHERE drill_id = :drill_id AND seq > :after_seq ORDER BY seq"
)
_CHAIN_PART = sql_text(
    f"{_CHAIN_COLUMNS} FROM events WHERE drill_id = :drill_id AND seq > :after_seq "
    "ORDER BY seq LIMIT :part"
)
_NEW_DRILL = insert(drills)
_NEW_EVENTS = insert(events)
_EVENT_COLUMNS = postgres.EVENT_COLUMNS
"""The columns of a new event row, in the order `_insert` builds them (and a COPY takes
them)."""


@functools.lru_cache(maxsize=4)
def _driver_insert(dialect: Dialect) -> tuple[str, Callable[[dt.datetime], Any] | None]:
    """SQLite's INSERT of one event row (positional, in `_EVENT_COLUMNS` order) and the
    recorded_at column's own bind processor, for `exec_driver_sql`.

    Through `Connection.execute` SQLAlchemy builds and processes every row's parameters
    in Python, a third of a simulated drill's store time; the statement is SQLAlchemy's
    own, compiled once, and the one column that needs converting is converted by its
    own type, so the rows stored are the same.
    """
    compiled = _NEW_EVENTS.values({name: bindparam(name) for name in _EVENT_COLUMNS}).compile(
        dialect=dialect
    )
    if tuple(compiled.positiontup or ()) != _EVENT_COLUMNS:
        raise AssertionError(f"unexpected parameter order {compiled.positiontup}")
    return compiled.string, events.c.recorded_at.type.bind_processor(dialect)


@functools.lru_cache(maxsize=8)
def _sqlite_originals(count: int) -> str:
    """`_ORIGINALS` for SQLite with `count` keys, for `exec_driver_sql`: SQLAlchemy
    expanded and compiled the statement's key list again for every chunk of keys, which
    cost more than running it (a third of a simulated drill's lookups of its 43,000 keys)."""
    keys = ", ".join("?" * count)
    return (
        'SELECT "key", seq FROM events WHERE drill_id = ? AND "key" IN '
        f"({keys}) AND duplicate_of IS NULL"
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class EventStore:
    """Append-only event storage for drills (SQLite by default, PostgreSQL later).

    Open with `async with EventStore.open(url) as store:` or `store = await
    EventStore.open(url)` and `await store.close()`.
    """

    def __init__(
        self,
        engine: AsyncEngine | Engine,
        url: str,
        *,
        lock_timeout: float,
        clock: Clock = _utc_now,
        sync_writer: Engine | None = None,
        lease_ttl: float | None = None,
    ) -> None:
        """Use `EventStore.open`: it also migrates the schema and checks the database.

        `engine` reads: a synchronous one (a SQLite file's) on reader threads of the
        store's own, an async one through its driver. `sync_writer`, if given, does all the
        writing on a thread of its own (see `dialect.write_engine`); otherwise the writes
        go through `engine`, which must then be async.
        """
        self._engine = engine
        # One of the two reads: a SQLite file's engine on the reader threads, or an async
        # engine through its driver.
        self._reader = engine if isinstance(engine, Engine) else None
        self._async = None if isinstance(engine, Engine) else engine
        self._reads = (
            ThreadPoolExecutor(
                max_workers=_READ_THREADS, thread_name_prefix="drillkit-store-reader"
            )
            if self._reader is not None
            else None
        )
        self._writer = (
            self._async.execution_options(**{dialect.WRITE: True})
            if self._async is not None
            else None
        )
        self._sync_writer = _WriterConnection(sync_writer) if sync_writer is not None else None
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="drillkit-store-writer")
            if sync_writer is not None
            else None
        )
        self._url = url
        self._where = describe(url)
        self._lock_timeout = lock_timeout
        self._clock = clock
        self._lease_ttl = resolve_ttl(lease_ttl)
        self._pending: list[_Request] = []
        self._writing: asyncio.Task[None] | None = None
        self._closed = False
        self._warned_types: set[str] = set()
        self._listener: postgres.Listener | None = None
        self._apart = Apart(
            url,
            lock_timeout,
            # Another process opening `url` finds this store, and stamps recorded_at as
            # this one would (the wall clock).
            possible=clock is _utc_now
            and (not url.startswith("sqlite") or sqlite_path(url) is not None),
        )

    # --- opening and closing ----------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | os.PathLike[str] | None = None,
        *,
        lock_timeout: float = 10.0,
        clock: Clock = _utc_now,
        lease_ttl: float | None = None,
    ) -> StoreOpening:
        """Open (creating and migrating if needed) the store at `url`.

        `url` is a SQLAlchemy URL or a file path; None means `DRILLKIT_DB`, then the user's
        data directory. `lock_timeout` is how long to wait for another process's write
        before giving up with a `StoreError`. `clock` stamps `recorded_at` (UTC).
        `lease_ttl` is how many seconds a drill's lease lasts without a heartbeat (how
        long a crashed engine keeps its drill); None means `DRILLKIT_LEASE_TTL`, then 25.
        """
        return StoreOpening(
            cls._open(url, lock_timeout=lock_timeout, clock=clock, lease_ttl=lease_ttl)
        )

    @classmethod
    async def _open(
        cls,
        url: str | os.PathLike[str] | None,
        *,
        lock_timeout: float,
        clock: Clock,
        lease_ttl: float | None,
    ) -> EventStore:
        ttl = resolve_ttl(lease_ttl)  # a bad setting is refused before anything is opened
        resolved = resolve_url(url)
        where = describe(resolved)
        path = sqlite_path(resolved)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"Cannot create the folder for the event store {where}: {exc.strerror}. "
                    "Choose another location with --db or DRILLKIT_DB."
                ) from exc
        engine: AsyncEngine | Engine
        try:
            reader = dialect.read_engine(resolved, busy_timeout=lock_timeout)
            if reader is not None:
                engine = reader
                sync_writer = dialect.write_engine(
                    resolved, busy_timeout=lock_timeout, observed=reader
                )
            else:
                from sqlalchemy.ext.asyncio import create_async_engine

                engine = create_async_engine(resolved)
                dialect.prepare_engine(engine, busy_timeout=lock_timeout)
                sync_writer = None
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"Cannot use the database {where}: {exc}") from exc
        store = cls(
            engine,
            resolved,
            lock_timeout=lock_timeout,
            clock=clock,
            sync_writer=sync_writer,
            lease_ttl=ttl,
        )
        try:
            await store._in_writer(functools.partial(_migrate, where=where))
        except BaseException as exc:
            await store._release()
            if isinstance(exc, SQLAlchemyError | OSError):
                raise store._failure("open", exc) from exc
            raise
        return store

    async def close(self) -> None:
        """Finish the appends already queued, then release the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._writing is not None:
            await asyncio.wait([self._writing])
        await self._apart.stop()
        if self._listener is not None:
            await self._listener.close()
        await self._release()

    async def _release(self) -> None:
        """Close the connections and stop the writer thread (after its queued work)."""
        try:
            if self._reader is not None and self._reads is not None:
                await asyncio.get_running_loop().run_in_executor(self._reads, self._reader.dispose)
                self._reads.shutdown(wait=False)
            elif self._async is not None:
                await self._async.dispose()
        finally:
            if self._thread is not None and self._sync_writer is not None:
                try:
                    await asyncio.get_running_loop().run_in_executor(
                        self._thread, self._sync_writer.close
                    )
                finally:
                    # Never blocks the loop: the thread exits once it is idle.
                    self._thread.shutdown(wait=False)

    async def __aenter__(self) -> EventStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The SQLAlchemy URL in use (may contain a password: show `where` instead)."""
        return self._url

    @property
    def where(self) -> str:
        """The store as people should see it: the file path, or the URL without password."""
        return self._where

    @property
    def engine(self) -> AsyncEngine | Engine:
        """The engine that reads, for diagnostics and tests. Never write through it.

        A synchronous `Engine` for a SQLite file (its connections belong to the store's
        reader threads: use `read_with`), else an `AsyncEngine`. Its cursor events
        (`before_cursor_execute`, `after_cursor_execute`) also report the statements of
        the SQLite writer thread, which has an engine of its own.
        """
        return self._engine

    async def read_with(self, work: Callable[[Connection], _T]) -> _T:
        """`work(connection)` on a reading connection of the store: synchronous SQLAlchemy
        Core, run on a reader thread (SQLite file) or through the async driver's
        `run_sync`. For diagnostics (`drillkit doctor`, a schema comparison); never write."""
        self._check_open()
        try:
            if self._reader is not None:
                return await asyncio.get_running_loop().run_in_executor(
                    self._reads, _on_connection, self._reader, work
                )
            assert self._async is not None
            async with self._async.connect() as conn:
                return await conn.run_sync(work)
        except SQLAlchemyError as exc:
            raise self._failure("read", exc) from exc

    # --- writing ----------------------------------------------------------------------

    async def append(self, drill_id: str, event: Event, key: str | None = None) -> Appended:
        """Store `event` as the drill's next event; return once it is committed to disk.

        If `key` is already recorded for this drill, the event is stored as a duplicate of
        that original and `Appended.duplicate` is True: do not apply it again.
        """
        (appended,) = await self.append_many(drill_id, [(event, key)])
        return appended

    async def append_many(
        self, drill_id: str, items: Iterable[tuple[Event, str | None]]
    ) -> list[Appended]:
        """Append several events in one transaction (all or none), in the order given.

        Returns once they are committed. Appends made while another is being written are
        committed together in the next transaction (group commit): each caller still
        waits for its own events to be durable, and a burst of acknowledgements costs a
        few disk flushes instead of one each.
        """
        if not drill_id or len(drill_id) > _MAX_ID:
            raise StoreError(f"A drill id must be 1 to {_MAX_ID} characters, not {drill_id!r}.")
        prepared = [self._prepare(item, key) for item, key in items]
        if not prepared:
            return []
        self._check_open()
        request = _Request(drill_id, prepared, asyncio.get_running_loop().create_future())
        self._pending.append(request)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_pending())
        # A caller cancelled before its request is taken is skipped; once it is being
        # written, the write completes for everyone else in its group.
        return await request.future

    async def _write_pending(self) -> None:
        """The only writer of this store: takes every queued request, commits, repeats."""
        while self._pending:
            group = [r for r in self._pending if not r.future.done()]
            self._pending.clear()
            if not group:
                continue
            try:
                results = await self._write_group(group)
            except Exception as exc:
                for request in group:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            except BaseException:
                # The task itself is being cancelled (the loop is shutting down). A
                # transaction already on the writer thread still finishes there.
                for request in group:
                    request.future.cancel()
                raise
            for request, appended in zip(group, results, strict=True):
                if not request.future.done():
                    request.future.set_result(appended)

    async def _write_group(self, group: Sequence[_Request]) -> list[list[Appended]]:
        by_drill: dict[str, list[_Prepared]] = {}
        spans: list[tuple[str, int, int]] = []
        for request in group:
            items = by_drill.setdefault(request.drill_id, [])
            spans.append((request.drill_id, len(items), len(items) + len(request.prepared)))
            items.extend(request.prepared)
        apart = self._apart.writer(sum(len(r.prepared) for r in group))
        if apart is not None:
            told = {
                d: [(p.type_name, p.utf8, p.key) for p in items] for d, items in by_drill.items()
            }
            appended = await self._apart.commit(apart, told)
        else:
            appended = await self._commit_here(by_drill)
        return [appended[drill_id][start:end] for drill_id, start, end in spans]

    @property
    def commits_apart(self) -> bool:
        """Whether a large group of appends is now committed by a writer process, on
        another core (`drill.store.apart`): a caller may then go on while it waits."""
        return self._apart.ready

    def expect_appends(self, appends: int) -> None:
        """A caller will append about `appends` events in large groups (a simulated drill
        of that size): the store's writer process starts now if they are worth it, to be
        ready for the first ones (`drill.store.apart`). 0: none more are coming (the
        drill has ended): the process ends meanwhile, not at `close`."""
        self._apart.expect(appends)

    async def commit_prepared(self, group: Group) -> dict[str, list[Appended]]:
        """Commit `group` (each drill's type names, canonical UTF-8 payloads and keys, as
        `_prepare` made them) in one transaction: the writer process's work."""
        return await self._commit_here(
            {
                drill_id: [_Prepared(t, utf8.decode("utf-8"), key, utf8) for t, utf8, key in items]
                for drill_id, items in group.items()
            }
        )

    async def _commit_here(
        self, by_drill: Mapping[str, Sequence[_Prepared]]
    ) -> dict[str, list[Appended]]:
        try:
            return await self._in_writer(functools.partial(self._commit_group, by_drill))
        except SQLAlchemyError as exc:  # including a race still lost after every retry
            raise self._failure("append to", exc) from exc

    async def _in_writer(self, work: Callable[[Connection], _T]) -> _T:
        """Run `work` (which begins and ends its own transactions) on the writing connection.

        One hand-off for all of it: to the writer thread for a SQLite file, else into the
        async driver's `run_sync`. The thread runs one piece of work at a time, in order.
        A caller cancelled meanwhile stops waiting; work already started still finishes.
        """
        if self._thread is not None and self._sync_writer is not None:
            return await asyncio.get_running_loop().run_in_executor(
                self._thread, self._sync_writer.run, work
            )
        assert self._writer is not None  # an async engine's
        async with self._writer.connect() as conn:
            return await conn.run_sync(work)

    def _commit_group(
        self, by_drill: Mapping[str, Sequence[_Prepared]], conn: Connection
    ) -> dict[str, list[Appended]]:
        """One write transaction for a whole group, again if another writer won a race."""
        for attempt in range(1, _RACE_RETRIES + 1):
            try:
                with conn.begin():
                    return {d: self._insert(conn, d, items) for d, items in by_drill.items()}
            except IntegrityError as exc:
                if attempt == _RACE_RETRIES:
                    raise
                log.debug("append lost a race with another writer (attempt %d): %s", attempt, exc)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _prepare(item: Event, key: str | None) -> _Prepared:
        type_name, payload = to_record(item)
        try:
            utf8 = canonical_payload_utf8(payload)
        except (TypeError, ValueError) as exc:  # a lone surrogate too: not UTF-8
            raise StoreError(f"A {type_name} event cannot be stored as JSON: {exc}") from exc
        # The hash covers the payload as verify reads it back (`json.loads(text)`) and
        # encodes it again. That is `text` itself: `to_record` makes plain JSON values
        # (str, int, float, bool, None, lists, str-keyed dicts), and canonical JSON reads
        # back to the same text, so the hash splices `text` in (`TextHasher`)
        # instead of parsing or encoding the payload once more per event.
        return _Prepared(type_name, utf8.decode("utf-8"), key, utf8)

    def _insert(
        self,
        conn: Connection,
        drill_id: str,
        prepared: Sequence[_Prepared],
    ) -> list[Appended]:
        keys = {p.key for p in prepared if p.key is not None}
        # The usual keyed append (one callback) looks its key up in the same round trip.
        single_key = next(iter(keys)) if len(keys) == 1 else None
        # One round trip for the drill and its chain's head, after queueing behind other
        # writers of the drill: on PostgreSQL a per-drill advisory lock taken first, so the
        # head is read from a snapshot newer than their commits; SQLite already holds the
        # database's write lock (BEGIN IMMEDIATE).
        dialect.lock_drill(conn, drill_id)
        if single_key is None:
            found = conn.execute(_HEAD, {"drill_id": drill_id}).first()
        else:
            found = conn.execute(_HEAD_AND_KEY, {"drill_id": drill_id, "key": single_key}).first()
        if found is None:
            conn.execute(_NEW_DRILL, {"drill_id": drill_id, "created_at": self._clock()})
        if found is None or found.seq is None:
            seq, prev_hash = 0, GENESIS
        else:
            seq, prev_hash = found.seq, found.hash

        originals: dict[str, int]
        if single_key is None:
            originals = self._originals(conn, drill_id, keys)
        elif found is not None and found.original is not None:
            originals = {single_key: found.original}
        else:
            originals = {}
        rows: list[tuple[Any, ...]] = []
        results: list[Appended] = []
        native = conn.dialect.name == "sqlite"
        statement, process = _driver_insert(conn.dialect) if native else ("", None)
        link = TextHasher(drill_id).of_utf8
        recorded_at_text = RecordedAtTexts()
        for type_name, text, key, utf8 in prepared:
            seq += 1
            duplicate_of = originals.get(key) if key is not None else None
            if key is not None and duplicate_of is None:
                originals[key] = seq
            recorded_at = self._clock()
            when = recorded_at_text(recorded_at)
            digest = link(seq, type_name, when, utf8, key, duplicate_of, prev_hash)
            if process is None:
                stored_at: Any = recorded_at
            elif recorded_at.tzinfo is not None:
                # SQLite's column as SQLAlchemy writes it (the UTC time, naive, to the
                # microsecond), cut from the hash's text of the same UTC time instead of
                # formatted a second time.
                stored_at = f"{when[:10]} {when[11:26]}"
            else:
                stored_at = process(recorded_at)  # refused, as the column refuses it
            rows.append(
                (drill_id, seq, type_name, stored_at, text, key, duplicate_of, prev_hash, digest)
            )
            results.append(Appended(seq, duplicate_of is not None, digest))
            prev_hash = digest
        if native:
            conn.exec_driver_sql(statement, rows)
        elif not (conn.dialect.name == "postgresql" and postgres.copy_events(conn, rows)):
            conn.execute(_NEW_EVENTS, [dict(zip(_EVENT_COLUMNS, row, strict=True)) for row in rows])
        return results

    @staticmethod
    def _originals(conn: Connection, drill_id: str, keys: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        if not keys:
            return found
        ordered = sorted(keys)
        if conn.dialect.name == "postgresql":  # one array parameter: no limit, one trip
            result = conn.execute(_ORIGINALS_PG, {"drill_id": drill_id, "keys": ordered})
            return {row.key: row.seq for row in result if row.seq is not None}
        native = conn.dialect.name == "sqlite"
        for start in range(0, len(ordered), _KEY_CHUNK):
            chunk = ordered[start : start + _KEY_CHUNK]
            if native:
                rows = conn.exec_driver_sql(_sqlite_originals(len(chunk)), (drill_id, *chunk))
                found.update({key: seq for key, seq in rows})
                continue
            result = conn.execute(_ORIGINALS, {"drill_id": drill_id, "keys": chunk})
            found.update({row.key: row.seq for row in result})
        return found

    # --- leases: one engine per drill ----------------------------------------------

    @property
    def lease_ttl(self) -> float:
        """Seconds a drill's lease lasts after each heartbeat."""
        return self._lease_ttl

    def lease(self, drill_id: str, owner: LeaseOwner) -> StoreLease:
        """`owner`'s lease on `drill_id` here (a `DrillLease`; the runner acquires it)."""
        if not drill_id or len(drill_id) > _MAX_ID:
            raise StoreError(f"A drill id must be 1 to {_MAX_ID} characters, not {drill_id!r}.")
        return StoreLease(self._write_lease, drill_id, owner, self._lease_ttl)

    async def leases(self) -> dict[str, Lease]:
        """Every drill's lease as it stands (held, expired or released), by drill id."""
        rows = await self._fetch("read the drill leases in", select(drill_leases))
        return {row.drill_id: lease_from_row(row) for row in rows}

    async def lease_history(self, drill_id: str) -> list[LeaseEntry]:
        """Who held the drill's lease: every acquisition, takeover and release, in order."""
        rows = await self._fetch(
            "read the drill leases in",
            select(drill_lease_log)
            .where(drill_lease_log.c.drill_id == drill_id)
            .order_by(drill_lease_log.c.id),
        )
        return [entry_from_row(row) for row in rows]

    async def _write_lease(self, work: Callable[[Connection], _T]) -> _T:
        self._check_open()
        try:
            return await self._in_writer(work)
        except SQLAlchemyError as exc:
            raise self._failure("update a drill lease in", exc) from exc

    # --- live updates -----------------------------------------------------------------

    # `timeout` is the name the consoles call it by (not asyncio.timeout: the wait is the
    # whole point, and it ends quietly).
    async def wait_for_events(self, drill_id: str, after_seq: int, timeout: float) -> None:  # noqa: ASYNC109
        """Return when the drill may have events after `after_seq`, or after `timeout` s.

        For consoles following a drill that another process runs: read, then wait here,
        then read again. PostgreSQL wakes it with a notification from the commit (see
        `drill.store.postgres`); SQLite has none, so it returns after a short poll
        interval. Either way it returns at once if such events are already stored.
        """
        self._check_open()

        async def newer() -> bool:
            head = await self._fetch(
                "read",
                select(func.max(events.c.seq)).where(events.c.drill_id == drill_id),
            )
            return (head[0][0] or 0) > after_seq

        if self._async is None or self._async.dialect.name != "postgresql":
            if not await newer():
                await asyncio.sleep(min(timeout, POLL_INTERVAL))
            return
        if self._listener is None:
            self._listener = postgres.Listener(self._async)
        try:
            await self._listener.wait(drill_id, newer, timeout)
        except SQLAlchemyError as exc:
            raise self._failure("listen to", exc) from exc

    # --- reading ----------------------------------------------------------------------

    async def read(self, drill_id: str, *, after_seq: int = 0) -> list[StoredEvent]:
        """Every event of the drill in seq order, duplicates included, as event objects
        (only those after `after_seq`: what a console following the drill has not seen).

        Events this version cannot rebuild come back as `UnknownEvent` (logged once per
        type): a drill recorded by another version still reads, and nothing is dropped.
        """
        rows: Sequence[Sequence[Any]] = await self._chain_rows("read", drill_id, after_seq)
        with gc_paused():  # see drill.store.gc_pause
            events: list[StoredEvent] = []
            self._rebuild_rows(drill_id, rows, events.append)
            return events

    def _rebuild_rows(
        self, drill_id: str, rows: Sequence[Sequence[Any]], take: Callable[[StoredEvent], None]
    ) -> None:
        """Each row's event to `take`, in order. The usual row (a known type, a time, a
        payload that is a JSON object and rebuilds) is parsed and rebuilt in one pass;
        from the first other row on, the rest are parsed first, as `records` does (a
        damaged one is a StoreError before any of them is rebuilt), then rebuilt or kept
        as UnknownEvents (`_take_events`)."""
        known = EVENT_TYPES
        for index, row in enumerate(rows):
            seq, type_name, stored_at, text, key, duplicate_of = row[:6]
            if type_name in known and stored_time(stored_at) is not None:
                try:
                    payload = load_json(text)
                    event = from_record(type_name, payload) if type(payload) is dict else None
                except Exception:  # said again below, as `_parse` or `_rebuild` says it
                    event = None
                if event is not None:
                    take(StoredEvent(seq, event, key, duplicate_of is not None))
                    continue
            rest = rows[index:]
            parsed = [self._parse(drill_id, r[0], r[2], r[3]) for r in rest]
            self._take_events(drill_id, rest, parsed, take)
            return

    def rebuild(self, records: Sequence[EventRecord]) -> list[StoredEvent]:
        """`read` from rows already fetched with `records`."""
        with gc_paused():
            return [self._stored(r) for r in records]

    def _stored(self, record: EventRecord) -> StoredEvent:
        return StoredEvent(record.seq, self._rebuild(record), record.key, record.duplicate)

    async def records(self, drill_id: str, *, after_seq: int = 0) -> list[EventRecord]:
        """The drill's stored rows in seq order (for verify, reports and CSV export);
        `after_seq` skips those already read (one range scan of the primary key)."""
        rows: Sequence[Sequence[Any]] = await self._chain_rows("read", drill_id, after_seq)
        with gc_paused():  # see drill.store.gc_pause
            return self._records(drill_id, rows, [])

    async def read_verified(
        self,
        drill_id: str,
        take: Callable[[EventRecord, StoredEvent], None],
        *,
        part: int = 5000,
    ) -> VerifyResult:
        """Read the drill once, `part` rows at a time, checking its hash chain as it goes:
        each row and the event rebuilt from it go to `take`, in seq order. Returns what
        `verify` would (a drill that is not there reads as one without events).

        A report folds the events as they come and writes its event rows, so a large
        drill is never held whole (a 17,000-contact drill's rows, payloads and events
        take about 150 MiB), and each row's JSON is parsed once for both.
        """
        return await self._read_verified(drill_id, take, None, part)

    async def read_events_verified(
        self, drill_id: str, take: Callable[[StoredEvent], None], *, part: int = 5000
    ) -> VerifyResult:
        """`read_verified` for a caller that needs only the events, not the rows they
        were rebuilt from (a report whose events.csv is written elsewhere)."""
        return await self._read_verified(drill_id, None, take, part)

    async def _read_verified(
        self,
        drill_id: str,
        take: Callable[[EventRecord, StoredEvent], None] | None,
        take_event: Callable[[StoredEvent], None] | None,
        part: int,
    ) -> VerifyResult:
        check = ChainCheck(drill_id)
        after: Any = 0
        while True:
            rows = await self._fetch(
                "read", _CHAIN_PART.bindparams(drill_id=drill_id, after_seq=after, part=part)
            )
            with gc_paused():
                parsed: list[tuple[dt.datetime, dict[str, Any]]] = []
                check.feed(rows, parsed)
                if take is not None:
                    for record in self._records(drill_id, rows, parsed):
                        take(record, self._stored(record))
                elif take_event is not None:
                    self._take_events(drill_id, rows, parsed, take_event)
            if len(rows) < part:
                return check.result()
            after = rows[-1][0]

    def _take_events(
        self,
        drill_id: str,
        rows: Sequence[Sequence[Any]],
        parsed: Sequence[tuple[dt.datetime, dict[str, Any]]],
        take: Callable[[StoredEvent], None],
    ) -> None:
        """`_records` and `_stored` of each row, without keeping a record of a sound row
        whose event is rebuilt as usual (the record is made only for an UnknownEvent)."""
        sound = len(parsed)
        known = EVENT_TYPES
        for index, row in enumerate(rows):
            seq, type_name, _, _, key, duplicate_of = row[:6]
            if index < sound and type_name in known:
                payload = parsed[index][1]
                try:
                    event = from_record(type_name, payload)
                except Exception:  # `_rebuild` says why, and keeps it as an UnknownEvent
                    pass
                else:
                    take(StoredEvent(seq, event, key, duplicate_of is not None))
                    continue
            (record,) = self._records(drill_id, [row], parsed[index : index + 1])
            take(self._stored(record))

    async def read_parts(
        self, drill_id: str, take: Callable[[StoredEvent], None], *, part: int = 5000
    ) -> int:
        """`read`, each event handed to `take` in seq order as its part is read (a drill
        is never held whole: a report's earlier drills are folded as they come); returns
        how many. A damaged row is a StoreError, as `read` makes it."""
        count = 0
        after: Any = 0
        while True:
            rows: Sequence[Sequence[Any]] = await self._fetch(
                "read", _CHAIN_PART.bindparams(drill_id=drill_id, after_seq=after, part=part)
            )
            with gc_paused():
                self._rebuild_rows(drill_id, rows, take)
            count += len(rows)
            if len(rows) < part:
                return count
            after = rows[-1][0]

    async def record_parts(
        self, drill_id: str, *, part: int = 5000
    ) -> AsyncIterator[list[EventRecord]]:
        """The drill's stored rows as `records` gives them, `part` at a time in seq order
        (for a file written as it is read: a large drill is never held whole)."""
        after: Any = 0
        while True:
            rows = await self._fetch(
                "read", _CHAIN_PART.bindparams(drill_id=drill_id, after_seq=after, part=part)
            )
            with gc_paused():
                records = self._records(drill_id, rows, [])
            if records:
                yield records
            if len(rows) < part:
                return
            after = rows[-1][0]

    async def event_count(self, drill_id: str) -> int:
        """How many events the drill has stored, duplicates included (0 if none)."""
        rows = await self._fetch(
            "read",
            select(func.count()).select_from(events).where(events.c.drill_id == drill_id),
        )
        return int(rows[0][0] or 0)

    async def _chain_rows(self, action: str, drill_id: str, after_seq: int) -> Sequence[Row[Any]]:
        """The drill's rows as the database holds them, in `ChainRow`'s column order.

        Plain SQL, no column types: converting every row's time through SQLAlchemy cost
        more than the rest of a read, and `verify` must see the values unconverted.
        """
        if after_seq:
            return await self._fetch(
                action, _CHAIN_AFTER.bindparams(drill_id=drill_id, after_seq=after_seq)
            )
        return await self._fetch(action, _CHAIN.bindparams(drill_id=drill_id))

    def _records(
        self,
        drill_id: str,
        rows: Sequence[Sequence[Any]],
        parsed: Sequence[tuple[dt.datetime, dict[str, Any]]],
    ) -> list[EventRecord]:
        """`rows` as records; the first `len(parsed)` of them already parsed by verify."""
        records: list[EventRecord] = []
        sound = len(parsed)
        for index, (seq, type_name, stored_at, text, key, duplicate_of, prev, digest) in enumerate(
            rows
        ):
            if index < sound:
                recorded_at, payload = parsed[index]
            else:
                recorded_at, payload = self._parse(drill_id, seq, stored_at, text)
            records.append(
                EventRecord(
                    drill_id, seq, type_name, recorded_at, payload, key, duplicate_of, prev, digest
                )
            )
        return records

    def _parse(
        self, drill_id: str, seq: Any, stored_at: Any, text: Any
    ) -> tuple[dt.datetime, dict[str, Any]]:
        """A row's recorded_at and payload; a StoreError naming the event when damaged."""
        recorded_at = stored_time(stored_at)
        what = None
        try:
            payload = load_json(text)
        except (TypeError, ValueError, RecursionError):
            what = "payload is not JSON"
        else:
            if not isinstance(payload, dict):
                what = "payload is not a JSON object"
        if recorded_at is None:
            what = "recorded_at is not a time"
        if what is not None or recorded_at is None:
            raise StoreError(
                f"Event {seq} of drill {drill_id} in {self._where} is damaged (its {what}). "
                f"Run `drillkit verify {drill_id}`."
            )
        return recorded_at, payload

    async def drills(self) -> list[DrillSummary]:
        """Every drill, oldest first, with its first event's type and payload."""
        totals = (
            select(
                events.c.drill_id,
                func.min(events.c.recorded_at).label("first_at"),
                func.max(events.c.recorded_at).label("last_at"),
                func.count().label("event_count"),
            )
            .group_by(events.c.drill_id)
            .subquery()
        )
        first = events.alias("first_event")
        query = (
            select(
                drills.c.drill_id,
                drills.c.created_at,
                totals.c.first_at,
                totals.c.last_at,
                totals.c.event_count,
                first.c.type,
                first.c.payload,
            )
            .outerjoin(totals, totals.c.drill_id == drills.c.drill_id)
            .outerjoin(first, and_(first.c.drill_id == drills.c.drill_id, first.c.seq == 1))
            .order_by(drills.c.created_at, drills.c.drill_id)
        )
        summaries: list[DrillSummary] = []
        for row in await self._fetch("list the drills in", query):
            payload = _first_payload(row.payload)
            summaries.append(
                DrillSummary(
                    drill_id=row.drill_id,
                    first_recorded_at=row.first_at or row.created_at,
                    last_recorded_at=row.last_at or row.created_at,
                    event_count=row.event_count or 0,
                    first_type=row.type,
                    first_payload=payload,
                )
            )
        return summaries

    async def openings(self) -> list[tuple[str, str | None, dict[str, Any] | None]]:
        """Every drill, oldest first (as `drills` lists them), with its first event's type
        and payload: what `drills` gives without counting each drill's events, which
        reads every event of the store (a report's choice of earlier drills needs none)."""
        first = events.alias("first_event")
        query = (
            select(drills.c.drill_id, first.c.type, first.c.payload)
            .outerjoin(first, and_(first.c.drill_id == drills.c.drill_id, first.c.seq == 1))
            .order_by(drills.c.created_at, drills.c.drill_id)
        )
        rows = await self._fetch("list the drills in", query)
        return [(row.drill_id, row.type, _first_payload(row.payload)) for row in rows]

    async def latest_drill_id(self) -> str | None:
        """The drill started most recently, or None when the store is empty."""
        rows = await self._fetch(
            "read",
            select(drills.c.drill_id)
            .order_by(drills.c.created_at.desc(), drills.c.drill_id.desc())
            .limit(1),
        )
        return rows[0].drill_id if rows else None

    async def verify(self, drill_id: str) -> VerifyResult:
        """Recompute the drill's hash chain; name the first missing, altered or malformed
        event. Never raises for what is stored: rows are read as the database holds them
        (no type conversion that could fail) and `verify_rows` judges each value."""
        rows = await self._chain_rows("verify", drill_id, 0)
        if not rows:
            known = await self._fetch(
                "verify", select(drills.c.drill_id).where(drills.c.drill_id == drill_id)
            )
            if not known:
                raise StoreError(f"There is no drill {drill_id!r} in {self._where}.")
        with gc_paused():
            return verify_rows(drill_id, rows)

    async def verify_chain(
        self,
        drill_id: str,
        *,
        part: int = 5000,
        more: Callable[[int], Awaitable[bool]] | None = None,
    ) -> VerifyResult:
        """`verify`'s check of the hash chain, read `part` rows at a time, without reading
        the payloads (each row's hash is recomputed from its stored text; a payload is
        parsed only where that does not match).

        For a writer that knows the head it wrote (`DrillRunner.written`): when the
        chain is sound and ends at that seq and hash, the drill holds exactly the events
        it wrote, which need not be read back. Anything else: `verify` says what is
        wrong (a payload hashed as text that is not JSON passes here, not there).

        `more`, for a drill still being written: asked with the last seq read each time
        the stored rows run out, it waits until more may be there and says whether to
        read on (True) or to end the check there (False).
        """
        check = ChainCheck(drill_id, parse=False)
        after: Any = 0
        while True:
            rows = await self._fetch(
                "verify", _CHAIN_PART.bindparams(drill_id=drill_id, after_seq=after, part=part)
            )
            with gc_paused():
                check.feed(rows)
            if rows:
                after = rows[-1][0]
            if len(rows) < part and (more is None or not await more(after)):
                return check.result()

    async def hash_at(self, drill_id: str, seq: int) -> str | None:
        """The stored hash of event `seq` of the drill (None when there is no such event):
        what `drill.store.anchor.check_anchor` compares with a report's head."""
        rows = await self._fetch(
            "verify",
            sql_text(
                "SELECT hash FROM events WHERE drill_id = :drill_id AND seq = :seq"
            ).bindparams(drill_id=drill_id, seq=seq),
        )
        value = rows[0].hash if rows else None
        return value if isinstance(value, str) else None

    async def head(self, drill_id: str) -> tuple[int, str] | None:
        """The seq and stored hash of the drill's last event (None when it has none): in
        a sound chain, that hash stands for every event up to it."""
        rows = await self._fetch(
            "read",
            sql_text(
                "SELECT seq, hash FROM events WHERE drill_id = :drill_id ORDER BY seq DESC LIMIT 1"
            ).bindparams(drill_id=drill_id),
        )
        if not rows or not isinstance(rows[0].hash, str):
            return None
        return int(rows[0].seq), rows[0].hash

    async def settings(self) -> dict[str, Any]:
        """The connection settings that make appends durable (SQLite PRAGMAs)."""
        return await self.read_with(dialect.sqlite_settings)

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at."""
        return await self.read_with(migrate.current_revision)

    # --- consoles: following a drill, watchers, operator requests ----------------------

    async def lease_of(self, drill_id: str) -> Lease | None:
        """The drill's lease as it stands (held, expired or released), if any."""
        rows = await self._fetch(
            "read the drill leases in",
            select(drill_leases).where(drill_leases.c.drill_id == drill_id),
        )
        return lease_from_row(rows[0]) if rows else None

    async def seq_of_key(self, drill_id: str, key: str) -> int | None:
        """The seq of the drill's original event recorded with `key`, if any."""
        rows = await self._fetch(
            "read",
            select(events.c.seq).where(
                events.c.drill_id == drill_id,
                events.c.key == key,
                events.c.duplicate_of.is_(None),
            ),
        )
        return int(rows[0].seq) if rows else None

    async def watch(self, drill_id: str, console: ConsoleIdentity) -> None:
        """Say (again) that `console` is following `drill_id`: its heartbeat."""
        await self._write_console(
            "record a console in", consoles.beat, drill_id, console, wall_now()
        )

    async def unwatch(self, console: ConsoleIdentity) -> None:
        """Say that `console` stopped following its drill."""
        await self._write_console("record a console in", consoles.leave, console, wall_now())

    async def watchers(self, drill_id: str, *, since: dt.datetime) -> list[Watcher]:
        """The consoles following `drill_id` whose last heartbeat was at `since` or later."""
        rows = await self._fetch("read the consoles in", consoles.watchers_query(drill_id, since))
        return [consoles.watcher_from_row(row) for row in rows]

    async def ask(self, request: OperatorRequest) -> None:
        """Record an operator request for the drill's owning engine (durable on return)."""
        if request.kind not in consoles.REQUEST_KINDS:
            raise StoreError(f"Unknown operator request {request.kind!r}.")
        await self._write_console("record an operator request in", consoles.insert_request, request)

    async def pending(self, drill_id: str) -> list[OperatorRequest]:
        """The drill's operator requests not answered yet, oldest first."""
        rows = await self._fetch("read the operator requests in", consoles.pending_query(drill_id))
        return [consoles.request_from_row(row) for row in rows]

    async def answer(self, answer: RequestAnswer) -> RequestAnswer:
        """Record the owning engine's answer to a request; the first answer stands."""
        result: RequestAnswer = await self._write_console(
            "record an operator request in", consoles.insert_answer, answer
        )
        return result

    async def answer_of(self, request_id: str) -> RequestAnswer | None:
        """The answer to a request, once the owning engine gave it."""
        rows = await self._fetch("read the operator requests in", consoles.answer_query(request_id))
        return consoles.answer_from_row(rows[0]) if rows else None

    # --- ad hoc people's contact methods (`drill.engine.outside.AdHocBook`) -------------

    async def keep_ad_hoc(
        self, drill_id: str, ref: str, name: str, points: Sequence[tuple[str, str]]
    ) -> None:
        """Keep an ad hoc person's full contact methods beside the journal (which masks
        them), durable on return; a resumed engine reads them (`ad_hoc_people`)."""
        row = {
            "drill_id": drill_id,
            "ref": ref,
            "name": name,
            "points": json.dumps([list(p) for p in points], ensure_ascii=False),
            "kept_at": wall_now(),
        }

        def write(conn: Connection) -> None:
            with conn.begin():
                conn.execute(insert(ad_hoc_points), row)

        await self._write_console("keep an ad hoc contact in", write)

    async def ad_hoc_people(
        self, drill_id: str
    ) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
        """The ad hoc people of `drill_id`: ref -> (name, contact methods)."""
        query = select(ad_hoc_points).where(ad_hoc_points.c.drill_id == drill_id)
        rows = await self._fetch("read the ad hoc contacts in", query)
        return {
            row.ref: (row.name, tuple((str(k), str(a)) for k, a in json.loads(row.points)))
            for row in rows
        }

    async def _write_console(self, action: str, work: Callable[..., _T], *args: Any) -> _T:
        self._check_open()
        try:
            return await self._in_writer(functools.partial(_call_with_conn, work, args))
        except SQLAlchemyError as exc:
            raise self._failure(action, exc) from exc

    # --- helpers ----------------------------------------------------------------------

    async def _fetch(self, action: str, query: Any) -> Sequence[Row[Any]]:
        self._check_open()
        try:
            if self._reader is not None:
                return await asyncio.get_running_loop().run_in_executor(
                    self._reads, _on_connection, self._reader, functools.partial(_rows, query)
                )
            assert self._async is not None
            async with self._async.connect() as conn:
                return (await conn.execute(query)).all()
        except SQLAlchemyError as exc:
            raise self._failure(action, exc) from exc

    def _rebuild(self, record: EventRecord) -> Event:
        if record.type in EVENT_TYPES:
            try:
                return from_record(record.type, record.payload)
            except Exception as exc:  # a record kept for years must not make a drill unreadable
                reason = f"its fields do not match this version of drillkit ({exc!r})"
        else:
            reason = "this version of drillkit does not know this event type"
        if record.type not in self._warned_types:
            self._warned_types.add(record.type)
            log.warning(
                "%s events in drill %s kept as UnknownEvent: %s",
                record.type,
                record.drill_id,
                reason,
            )
        return _unknown(record, reason)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"The event store {self._where} is closed.")

    def _failure(self, action: str, exc: BaseException) -> StoreError:
        """A user-facing StoreError for a database failure (the cause stays chained)."""
        where = self._where
        if dialect.is_locked(exc):
            return StoreError(
                f"The event store {where} stayed locked by another process for more than "
                f"{self._lock_timeout:g} s, so drillkit could not {action} it. Is another "
                "drillkit command stuck? Try again, or choose another --db.",
                title="Event store is busy",
            )
        detail = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
        lowered = detail.lower()
        if "unable to open database file" in lowered:
            hint = "check that its folder exists and that you may write there"
        elif "file is not a database" in lowered:
            hint = "it is not a drillkit event store (not an SQLite database)"
        elif "readonly" in lowered or "read-only" in lowered:
            hint = "it is read-only; drillkit needs to write to it"
        elif "disk is full" in lowered or "disk full" in lowered:
            hint = "the disk is full; free some space and try again"
        else:
            hint = detail
        return StoreError(
            f"Could not {action} the event store {where}: {hint}. "
            "(Choose another store with --db or DRILLKIT_DB.)"
        )


def _on_connection(engine: Engine, work: Callable[[Connection], _T]) -> _T:
    """On a reader thread: `work` with a connection of `engine`."""
    with engine.connect() as conn:
        return work(conn)


class _WriterConnection:
    """The writer thread's one connection to the store's write engine, kept from its first
    use until the store closes (used on that thread only).

    Taking it from the pool and giving it back for each group cost as much CPU as the
    group's own statements. What giving it back did is kept: whatever `work` left open is
    rolled back before the next work, so no transaction (and no write lock) outlives the
    work that began it; a connection the engine invalidated (a database error) is
    replaced at the next use.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def run(self, work: Callable[[Connection], _T]) -> _T:
        """`work` with the connection, opened if needed."""
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self._conn = self._engine.connect()
        try:
            return work(conn)
        finally:
            self._end_transaction(conn)

    def _end_transaction(self, conn: Connection) -> None:
        """Roll back what is still open, as the pool's reset on return did."""
        try:
            if conn.in_transaction():
                conn.rollback()
            elif not conn.closed and not conn.invalidated:
                raw = conn.connection.dbapi_connection
                if raw is not None and raw.in_transaction:  # begun outside SQLAlchemy
                    raw.rollback()
        except Exception:  # the pool would have discarded it: the next work gets a new one
            log.debug("rolling back the writer's connection failed", exc_info=True)
            self._conn = None
            with contextlib.suppress(Exception):
                conn.invalidate()
                conn.close()

    def close(self) -> None:
        """Close the connection and release the engine (on the writer thread)."""
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                conn.close()
        finally:
            self._engine.dispose()


def _rows(query: Any, conn: Connection) -> Sequence[Row[Any]]:
    return conn.execute(query).all()


def _call_with_conn(work: Callable[..., _T], args: tuple[Any, ...], conn: Connection) -> _T:
    """`work(conn, *args)`: a console's write, run by the store's writer."""
    return work(conn, *args)


def _migrate(conn: Connection, where: str) -> None:
    with conn.begin():
        migrate.upgrade(conn, where)


def _first_payload(text: Any) -> dict[str, Any] | None:
    """A drill's first payload as listed; None when damaged (`verify` names it, the
    listing still works)."""
    try:
        payload = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _unknown(record: EventRecord, reason: str) -> UnknownEvent:
    at = record.recorded_at
    raw_at = record.payload.get("at")
    if isinstance(raw_at, str):
        try:
            parsed = dt.datetime.fromisoformat(raw_at)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            at = parsed
    raw_elapsed = record.payload.get("elapsed")
    elapsed = float(raw_elapsed) if isinstance(raw_elapsed, int | float) else 0.0
    return UnknownEvent(
        at=at, elapsed=elapsed, stored_type=record.type, payload=record.payload, reason=reason
    )


class StoreOpening:
    """What `EventStore.open` returns: await it, or use it as an async context manager."""

    def __init__(self, opening: Coroutine[Any, Any, EventStore]) -> None:
        self._opening = opening
        self._store: EventStore | None = None

    def __await__(self) -> Generator[Any, None, EventStore]:
        return self._opening.__await__()

    async def __aenter__(self) -> EventStore:
        self._store = await self._opening
        return self._store

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._store is not None:
            await self._store.close()
