"""The drill engine: escalation state machine, events and clocks. Pure asyncio, no I/O.

The CLI, the TUI and the channels use what is listed here: `DrillRunner` runs a
scenario (and is the channels' `Inbox`), `DrillState` folds events for display, the
clocks choose real, scaled or virtual time, and the simulation stands in for people.
`drill.engine.assembly` is the one place a running drill is built (new or resumed) for
the CLI, the console and the calendar.
"""

from drill.engine.clock import Clock, RealClock, ScaledClock, VirtualClock, clock_kind
from drill.engine.events import (
    EVENT_TYPES,
    AckSource,
    CancelReason,
    DrillMode,
    EscalationReason,
    Event,
    StepTiming,
    from_record,
    to_record,
)
from drill.engine.notifier import (
    AckOutcome,
    DeliveryStatus,
    FailureReason,
    Inbox,
    LocalNotifier,
    Notifier,
    Page,
    PageTimers,
    RecoverableNotifier,
    RenderedMessage,
    SendResult,
    reaches_real_people,
)
from drill.engine.runner import DrillRunner, new_drill_id, plan_digest
from drill.engine.simulation import (
    ChannelBehaviour,
    Outcome,
    OutcomeKind,
    ResponseModel,
    SimulatedNotifier,
    SimulatedOperator,
)
from drill.engine.sink import Appended, EventSink, Handler, HandlerSet, MemorySink, StoredEvent
from drill.engine.state import ContactState, ContactStatus, DrillState, DrillStatus, Summary

__all__ = [
    "EVENT_TYPES",
    "AckOutcome",
    "AckSource",
    "Appended",
    "CancelReason",
    "ChannelBehaviour",
    "Clock",
    "ContactState",
    "ContactStatus",
    "DeliveryStatus",
    "DrillMode",
    "DrillRunner",
    "DrillState",
    "DrillStatus",
    "EscalationReason",
    "Event",
    "EventSink",
    "FailureReason",
    "Handler",
    "HandlerSet",
    "Inbox",
    "LocalNotifier",
    "MemorySink",
    "Notifier",
    "Outcome",
    "OutcomeKind",
    "Page",
    "PageTimers",
    "RealClock",
    "RecoverableNotifier",
    "RenderedMessage",
    "ResponseModel",
    "ScaledClock",
    "SendResult",
    "SimulatedNotifier",
    "SimulatedOperator",
    "StepTiming",
    "StoredEvent",
    "Summary",
    "VirtualClock",
    "clock_kind",
    "from_record",
    "new_drill_id",
    "plan_digest",
    "reaches_real_people",
    "to_record",
]
