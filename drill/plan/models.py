"""The plan as frozen, validated models: people, roles, contact trees, scenarios, playbooks.

Every model is strict about its keys (`extra="forbid"`) and immutable (`frozen=True`);
each field's docstring becomes its description in `drillkit schema`, so editors can
complete and explain plan files.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from drill.plan.contact import normalise_address, normalise_number
from drill.plan.holidays import public_holiday
from drill.plan.templates import UPDATE_PLACEHOLDERS, TemplateProblem, check_template

__all__ = [
    "MAX_MINUTES",
    "Absence",
    "Agency",
    "Audience",
    "ChannelKind",
    "Choice",
    "ContactPoint",
    "ContactTree",
    "ContactsFile",
    "Contents",
    "Inject",
    "Language",
    "Level",
    "Member",
    "Messages",
    "Metric",
    "Notice",
    "Person",
    "Plan",
    "PlanFile",
    "PlanInfo",
    "Playbook",
    "Question",
    "Role",
    "Rotation",
    "RotationOverride",
    "Scenario",
    "ScenarioMessages",
    "Site",
    "Step",
    "Target",
    "Text",
    "Turn",
    "UpdateKind",
    "UpdateMessage",
    "UpdateSet",
    "UpdateTemplates",
    "UpdateTexts",
    "moment",
]

# The fields' docstrings describe the files in `drillkit schema` (drill.plan.schema), which
# reads them itself: pydantic is not asked to parse every class's source on each import.
_MODEL = ConfigDict(extra="forbid", frozen=True)

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64),
    Field(description="An id: lower-case letters, digits, '-' and '_' (e.g. sysadmin-north)."),
]
Language = Literal["ja", "en"]

# A drill or an incident's timeline is hours, never more than a week: a larger number (or
# .inf / .nan) is a typo, and would overflow the clock arithmetic of a run.
MAX_MINUTES = 7 * 24 * 60


class ChannelKind(StrEnum):
    """How a person is paged."""

    VOICE = "voice"
    SMS = "sms"
    EMAIL = "email"


_VOICE, _SMS, _EMAIL = ChannelKind.VOICE, ChannelKind.SMS, ChannelKind.EMAIL
"""The kinds read off the class once: on Python 3.11 each `ChannelKind.X` is a call
through EnumType.__getattr__'s hook, and a running drill asks `ContactPoint.kind` of
every point on every rung of every page's ladder."""


class Agency(StrEnum):
    """Outside agencies (庁外の関係機関) a scenario may need to reach."""

    PREFECTURE = "prefecture"  # 都道府県 市町村課
    JLIS = "jlis"  # 地方公共団体情報システム機構
    MINISTRY = "ministry"  # 総務省
    VENDOR = "vendor"  # 保守業者
    POLICE = "police"  # 警察
    REGULATOR = "regulator"  # 個人情報保護委員会


class Audience(StrEnum):
    """Whom a message is written for: staff get instructions; an outside agency gets a
    formal notification (who we are, what happened, what we ask, whom to call back)."""

    STAFF = "staff"  # 庁内の職員
    AGENCY = "agency"  # 庁外の関係機関


class Metric(StrEnum):
    """What a target measures."""

    ALL_SITES_REACHED = "all_sites_reached"
    TREE_COMPLETED = "tree_completed"
    LEVEL_COMPLETED = "level_completed"
    SHARE_ACKNOWLEDGED = "share_acknowledged"


class Text(BaseModel):
    """Text in Japanese, with an optional English version. A plain string is Japanese."""

    model_config = _MODEL

    ja: str = Field(min_length=1)
    """The Japanese text."""
    en: str | None = None
    """The English text; Japanese is shown where it is missing."""

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"ja": value} if isinstance(value, str) else value

    def get(self, language: str) -> str:
        return self.en if language == "en" and self.en else self.ja

    def __str__(self) -> str:
        return self.ja


class Site(BaseModel):
    """A site (拠点): a regional centre (支所), the head office, a division."""

    model_config = _MODEL

    id: Id
    """Unique id of the site."""
    name: Text
    """Its name (北部支所)."""
    regional_centre: bool = True
    """Whether it counts for "every regional centre reached" targets."""


class ContactPoint(BaseModel):
    """One way to reach a person: exactly one of `voice`, `sms`, `email`."""

    model_config = _MODEL

    voice: str | None = None
    """A number to call, written as people do (095-829-1124); stored as E.164."""
    sms: str | None = None
    """A mobile number for SMS (Japanese landlines cannot receive SMS)."""
    email: str | None = None
    """An e-mail address."""
    label: str | None = None
    """What this is, for people (携帯, 庁舎, 自宅)."""

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, value: Any) -> Any:
        if isinstance(value, dict):
            # Counted without a list first: a nationwide plan has 100,000 channels.
            get = value.get
            if (get("voice") is None) + (get("sms") is None) + (get("email") is None) == 2:
                return value
            present = [k for k in ("voice", "sms", "email") if get(k) is not None]
            if len(present) != 1:
                raise PydanticCustomError(
                    "contact_point",
                    "a channel needs exactly one of voice, sms or email (found {found})",
                    {"found": ", ".join(present) or "none"},
                )
        return value

    @field_validator("voice", "sms", mode="before")
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("voice", "sms")
    @classmethod
    def _number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        sample = bool(info.context and info.context.get("sample"))
        try:
            return normalise_number(str(value), allow_fictional=sample)
        except ValueError as exc:
            raise PydanticCustomError("phone_number", str(exc)) from None

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_address(value)
        except ValueError as exc:
            raise PydanticCustomError("email_address", str(exc)) from None

    @property
    def kind(self) -> ChannelKind:
        if self.voice is not None:
            return _VOICE
        if self.sms is not None:
            return _SMS
        return _EMAIL

    @property
    def address(self) -> str:
        """The number (E.164) or e-mail address."""
        value = self.voice or self.sms or self.email
        assert value is not None
        return value


When = dt.date | dt.datetime
"""A day (the whole day, in the plan's time zone) or a moment (naive: the plan's zone)."""


def moment(value: When, zone: dt.tzinfo, *, end: bool) -> dt.datetime:
    """`value` as an aware moment; a day's end is the start of the next day."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


class _Period(BaseModel):
    """A period from `from` to `to`, both included when they are days."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: When = Field(alias="from")
    """The first day (2026-12-24) or moment (2026-12-24T18:00) of the period."""
    end: When = Field(alias="to")
    """The last day, included (2026-12-28), or the moment it ends (2026-12-28T09:00)."""

    @model_validator(mode="after")
    def _ordered(self) -> _Period:
        utc = dt.UTC
        if moment(self.end, utc, end=True) <= moment(self.start, utc, end=False):
            raise PydanticCustomError(
                "period", "the period ends before it starts; `to` must come after `from`"
            )
        return self

    def covers(self, when: dt.datetime, zone: dt.tzinfo) -> bool:
        """Whether the aware moment `when` falls in the period."""
        return moment(self.start, zone, end=False) <= when < moment(self.end, zone, end=True)


class Absence(_Period):
    """A period when a person cannot be paged (休暇, 出張, 異動): their deputy is paged instead."""

    reason: str = Field(min_length=1, max_length=40)
    """Why (休暇, 出張, 異動, 研修 …); shown on the board and in the report."""


class Person(BaseModel):
    """A person who may be paged: staff, or a desk at an outside agency."""

    model_config = _MODEL

    id: Id
    """Unique id among people and roles."""
    name: str = Field(min_length=1)
    """Full name as written (山田 太郎), or the desk's name for an agency."""
    kana: str | None = None
    """Reading in kana (やまだ たろう), used by voice prompts and search."""
    language: Language = "ja"
    """The language of the messages this person receives."""
    channels: tuple[ContactPoint, ...] = ()
    """Ways to reach them, in order of preference within each kind."""
    site: Id | None = None
    """Where they usually work (a site id)."""
    note: str | None = None
    """Anything the duty officer should know (e.g. 夜間は携帯のみ)."""
    unavailable: tuple[Absence, ...] = ()
    """Periods when they cannot be paged (休暇, 出張, 異動): a role they hold or deputise
    is paged on to the next candidate, and the report says why."""

    def points(self, kind: ChannelKind) -> tuple[ContactPoint, ...]:
        return tuple(point for point in self.channels if point.kind is kind)

    def absence_at(self, when: dt.datetime, zone: dt.tzinfo) -> Absence | None:
        """The absence that covers the aware moment `when`, if any."""
        return next((a for a in self.unavailable if a.covers(when, zone)), None)


class RotationOverride(_Period):
    """A one-off change to a rotation: someone else holds the role for a period."""

    person: Id
    """Who holds the role during the period."""


class Turn(NamedTuple):
    """Who holds a rotating role at a moment, until when, and why."""

    person: str
    until: dt.datetime
    """When this holding ends (the next handover, the end of an override or holiday)."""
    overridden: bool = False
    """From a one-off override, not the turn order."""
    holiday: str | None = None
    """The public holiday (元日, 海の日 …) this is the holiday duty (休日当番) of."""
    deferred: str | None = None
    """The public holiday the next handover was moved past (`holidays: skip`)."""


class Rotation(BaseModel):
    """Who holds a duty role (当番) when: people in turn, by day or by week, with overrides."""

    model_config = _MODEL

    people: tuple[Id, ...] = Field(min_length=1)
    """The people who take turns, in order."""
    every: Literal["day", "week"] = "week"
    """How long each turn lasts."""
    start: dt.date
    """The first day of the first person's first turn."""
    handover: dt.time = dt.time(8, 30)
    """The time of day a turn passes to the next person (the plan's time zone)."""
    overrides: tuple[RotationOverride, ...] = ()
    """One-off changes (a swap, a holiday cover); the last one that covers a moment wins."""
    holidays: Id | None = None
    """What a Japanese public holiday (国民の祝日, 振替休日, 国民の休日) changes. `skip`: no
    handover on a holiday — it moves to the next day that is not one (a Monday holiday
    moves a weekly rota's handover to Tuesday; a daily rota's holder keeps the holiday,
    and the order goes on unchanged). A person's id: that person holds the holiday's duty
    (休日当番), from the handover time on the holiday to the next day's, the turns
    otherwise unchanged. Empty: holidays change nothing. A one-off override still wins."""

    @property
    def holiday_person(self) -> str | None:
        """The person who holds every holiday's duty, if the rota names one."""
        return self.holidays if self.holidays not in (None, "skip") else None

    def turn_at(self, when: dt.datetime, zone: dt.tzinfo) -> tuple[str, dt.datetime]:
        """Who holds the role at the aware moment `when`, and when their turn ends."""
        turn = self.turn(when, zone)
        return turn.person, turn.until

    def turn(self, when: dt.datetime, zone: dt.tzinfo) -> Turn:
        """Who holds the role at the aware moment `when`: an override, a holiday's duty
        or the turn order, and until when."""
        for override in reversed(self.overrides):
            if override.covers(when, zone):
                return Turn(override.person, moment(override.end, zone, end=True), True)
        # On the wall clock of the plan's zone: a turn is "a week" (a holiday "a day")
        # even across a daylight-saving change.
        local = when.astimezone(zone).replace(tzinfo=None)
        turn = self._holiday_duty(local) or self._in_order(local)
        until = turn.until.replace(tzinfo=zone)
        # An override that begins before the turn ends cuts it short.
        for override in self.overrides:
            begins = moment(override.start, zone, end=False)
            if when < begins < until:
                until = begins
        return turn._replace(until=until)

    def _duty_day(self, local: dt.datetime) -> dt.date:
        """The day whose duty `local` falls in: the day before, before the handover time."""
        day = local.date()
        return day if local.time() >= self.handover else day - dt.timedelta(days=1)

    def _holiday_duty(self, local: dt.datetime) -> Turn | None:
        person = self.holiday_person
        if person is None:
            return None
        day = self._duty_day(local)
        name = public_holiday(day)
        if name is None:
            return None
        end = day + dt.timedelta(days=1)
        while public_holiday(end) is not None:  # 3 May to 5 May: one holiday duty
            end += dt.timedelta(days=1)
        return Turn(person, dt.datetime.combine(end, self.handover), holiday=name)

    def _in_order(self, local: dt.datetime) -> Turn:
        origin = dt.datetime.combine(self.start, self.handover)
        length = dt.timedelta(days=7 if self.every == "week" else 1)
        turns = (local - origin) // length
        ends = origin + (turns + 1) * length
        if self.holidays == "skip" and local >= origin:
            return self._skipping(local, origin, length)
        holiday_person = self.holiday_person
        if holiday_person is not None:
            # The turn pauses for the next holiday's duty (and picks up after it).
            day = self._duty_day(local) + dt.timedelta(days=1)
            while dt.datetime.combine(day, self.handover) < ends:
                if public_holiday(day) is not None:
                    ends = dt.datetime.combine(day, self.handover)
                    break
                day += dt.timedelta(days=1)
        return Turn(self.people[turns % len(self.people)], ends)

    def _skipping(self, local: dt.datetime, origin: dt.datetime, length: dt.timedelta) -> Turn:
        """The turn order when no handover happens on a holiday: each handover is moved
        to the next day that is not a holiday; handovers moved onto the same moment are
        one (a daily rota's holder keeps the holiday, and nobody loses a turn)."""
        count, last, k = 0, origin, 1
        while True:
            planned = origin + k * length
            moved, holiday = _after_holidays(planned)
            if moved > local:
                person = self.people[count % len(self.people)]
                return Turn(person, moved, deferred=holiday)
            if moved != last:
                count, last = count + 1, moved
            k += 1


def _after_holidays(planned: dt.datetime) -> tuple[dt.datetime, str | None]:
    """`planned`, moved day by day past public holidays; and the first holiday passed."""
    first = public_holiday(planned.date())
    moved = planned
    while public_holiday(moved.date()) is not None:
        moved += dt.timedelta(days=1)
    return moved, first


class Role(BaseModel):
    """A role (責任体制): its holder and deputies (代理者). Outside agencies are roles too."""

    model_config = _MODEL

    id: Id
    """Unique id among people and roles."""
    name: Text
    """The role's title (システム管理者)."""
    holder: Id | None = None
    """The person (or role) who holds it; empty when the post is vacant or rotates."""
    rotation: Rotation | None = None
    """For a duty role (当番): who holds it when. Takes the place of `holder`."""
    deputies: tuple[Id, ...] = ()
    """People (or roles) paged, in order, when the holder does not acknowledge."""
    site: Id | None = None
    """The site this role belongs to (セキュリティ責任者 of a regional centre)."""
    agency: Agency | None = None
    """Set for a role that is an outside agency (police, J-LIS, the prefecture, …)."""
    critical: bool = False
    """Whether an incident cannot proceed without this role (for lint DK-W005)."""
    note: str | None = None
    """Anything the duty officer should know."""

    @model_validator(mode="after")
    def _one_holder(self) -> Role:
        if self.rotation is not None and self.holder is not None:
            raise PydanticCustomError(
                "holder", "a role has a `holder` or a `rotation`, not both; keep one"
            )
        return self

    def holders(self, at: dt.datetime | None, zone: dt.tzinfo) -> tuple[str, ...]:
        """Who holds the role at `at`: its holder, or the rotation's person on duty then;
        every person of the rotation when `at` is None (a plan read with no moment)."""
        if self.rotation is None:
            return (self.holder,) if self.holder is not None else ()
        if at is None:
            return self.rotation.people
        return (self.rotation.turn_at(at, zone)[0],)


Quorum = Literal["all", "any"] | Annotated[int, Field(ge=1)]


class Member(BaseModel):
    """A member of a level: a role (its holder, then deputies) or one person."""

    model_config = _MODEL

    ref: Id
    """A role id or a person id."""
    site: Id | None = None
    """The branch (site) this member belongs to, if not the role's own site."""

    @model_validator(mode="before")
    @classmethod
    def _plain_id(cls, value: Any) -> Any:
        return {"ref": value} if isinstance(value, str) else value


class Level(BaseModel):
    """One level of a contact tree: who is paged together, and when it counts as reached."""

    model_config = _MODEL

    id: Id
    """Unique within the tree."""
    name: Text
    """What this level is (統括責任者への連絡)."""
    mode: Literal["parallel", "sequential"] = "parallel"
    """Page all members at once, or one after the other in the order listed."""
    required: Quorum = "all"
    """How many members must acknowledge: all, any, or a number."""
    ack_timeout_minutes: float = Field(default=5, gt=0, le=24 * 60, allow_inf_nan=False)
    """How long to wait for an acknowledgement after each page before trying again."""
    retries: int = Field(default=1, ge=0, le=10)
    """How many more rounds each channel gets: a round pages every number or address of
    that kind once, in order, so a kind takes (1 + retries) × points pages."""
    channels: tuple[ChannelKind, ...] = (ChannelKind.VOICE, ChannelKind.SMS, ChannelKind.EMAIL)
    """The channel ladder, in order: each member is tried on these kinds, one after another,
    every point of a kind before the next kind."""
    members: tuple[Member, ...] = Field(min_length=1)
    """Roles or people of this level."""
    repeat: int = Field(default=0, ge=0, le=10)
    """How many more times a member is paged from the start (holder, then deputies) when
    everyone has been tried without an answer, before the member counts as unreached and
    the tree moves on (an escalation policy's repeat)."""
    repeat_after_minutes: float = Field(default=10, gt=0, le=24 * 60)
    """How long to wait after a round with no answer before the next one starts."""

    @field_validator("channels")
    @classmethod
    def _ladder(cls, value: tuple[ChannelKind, ...]) -> tuple[ChannelKind, ...]:
        if not value:
            raise PydanticCustomError("channels", "name at least one channel (voice, sms, email)")
        if len(set(value)) != len(value):
            raise PydanticCustomError("channels", "each channel may appear once in the ladder")
        return value

    def ladder_pages(self, person: Person) -> int:
        """How many pages `person`'s whole ladder on this level holds: every point of each
        kind of the ladder, once per round (`drill.engine.escalation`)."""
        return (1 + self.retries) * sum(len(person.points(kind)) for kind in self.channels)

    def ladder_minutes(self, person: Person) -> float:
        """How long `person`'s whole ladder takes when every page is accepted and nobody
        answers (a page that fails at once moves on sooner)."""
        return self.ladder_pages(person) * self.ack_timeout_minutes


class ContactTree(BaseModel):
    """A contact tree (緊急時連絡網): levels paged in order."""

    model_config = _MODEL

    id: Id
    """Unique id of the tree."""
    name: Text
    """Its name (庁内緊急時連絡網)."""
    scope: Literal["internal", "external"]
    """internal (庁内, checklist 5-2) or external, with outside agencies (庁外, 5-3)."""
    description: Text | None = None
    """What the tree is for."""
    levels: tuple[Level, ...] = Field(min_length=1)
    """The levels, paged in order: a level starts when the one before it is reached."""


class Target(BaseModel):
    """A target the report checks (e.g. every regional centre reached within 10 minutes)."""

    model_config = _MODEL

    id: Id
    """Unique id of the target."""
    name: Text
    """How people say it (全支所への連絡 10分以内)."""
    metric: Metric
    """What is measured."""
    within_minutes: float = Field(gt=0, le=MAX_MINUTES, allow_inf_nan=False)
    """The time allowed, from the start of the run."""
    tree: Id | None = None
    """The tree measured (all trees of the scenario when empty)."""
    level: Id | None = None
    """The level measured, for level_completed."""
    share: float | None = Field(default=None, gt=0, le=1, allow_inf_nan=False)
    """The share of contacts that must acknowledge, for share_acknowledged (0.9 = 90 %)."""

    @model_validator(mode="after")
    def _needs(self) -> Target:
        if self.metric is Metric.LEVEL_COMPLETED and (self.tree is None or self.level is None):
            raise PydanticCustomError("target", "level_completed needs both tree and level")
        if self.metric is Metric.SHARE_ACKNOWLEDGED and self.share is None:
            raise PydanticCustomError("target", "share_acknowledged needs share (e.g. 0.9)")
        return self


class Messages(BaseModel):
    """What is sent, as templates: `{{ person }}`, `{{ role }}`, `{{ deadline }}`, …

    The drill marker (【訓練】 / [DRILL]) is added by the channel layer, not here, so a
    template cannot remove it.
    """

    model_config = _MODEL

    voice: str = Field(min_length=1)
    """Spoken by the voice call before the keypress prompt."""
    sms: str = Field(min_length=1)
    """The SMS text; an acknowledgement link is appended."""
    email_subject: str = Field(min_length=1)
    """The e-mail subject (one line)."""
    email_body: str = Field(min_length=1)
    """The e-mail body; an acknowledgement link is appended."""

    @field_validator("voice", "sms", "email_subject", "email_body")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            check_template(value)
        except TemplateProblem as exc:
            # The key and values let the plan check say it in Japanese (loader._ctx_params).
            context = {"message_key": exc.key, **exc.values} if exc.key else None
            raise PydanticCustomError("template", str(exc), context) from None
        return value

    @field_validator("email_subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value.strip() or "\r" in value:
            raise PydanticCustomError("template", "the subject must be one line")
        return value.strip()


class ScenarioMessages(BaseModel):
    """Messages in Japanese and, optionally, English (for people whose language is en)."""

    model_config = _MODEL

    ja: Messages
    """Japanese messages."""
    en: Messages | None = None
    """English messages; Japanese is sent where they are missing."""

    def get(self, language: str) -> Messages:
        return self.en if language == "en" and self.en is not None else self.ja


class UpdateKind(StrEnum):
    """Which status update (第N報): the first (第1報), a follow-up (続報) or the last (最終報)."""

    FIRST = "first"
    FOLLOWUP = "followup"
    FINAL = "final"


class UpdateMessage(BaseModel):
    """One status update's text as templates: `{{ number }}`, `{{ text }}`, `{{ scenario }}`,
    `{{ callback }}`, … The subject is the e-mail subject and the first line of the SMS
    and the call; the body follows it. The drill marker is added by the channel layer."""

    model_config = _MODEL

    subject: str = Field(min_length=1)
    """One line: the e-mail subject, and the first line of the SMS and of the call."""
    body: str = Field(min_length=1)
    """The text after it (the officer's words are `{{ text }}`)."""

    @field_validator("subject", "body")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            check_template(value, UPDATE_PLACEHOLDERS)
        except TemplateProblem as exc:
            raise PydanticCustomError("template", str(exc)) from None
        return value

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value.strip() or "\r" in value:
            raise PydanticCustomError("template", "the subject must be one line")
        return value.strip()


class UpdateTexts(BaseModel):
    """A status update's text in Japanese and, optionally, English."""

    model_config = _MODEL

    ja: UpdateMessage
    """Japanese."""
    en: UpdateMessage | None = None
    """English; Japanese is sent where it is missing."""

    def get(self, language: str) -> UpdateMessage:
        return self.en if language == "en" and self.en is not None else self.ja


class UpdateSet(BaseModel):
    """The three kinds of status update for one audience; drillkit's own where one is missing."""

    model_config = _MODEL

    first: UpdateTexts | None = None
    """第1報: the first update."""
    followup: UpdateTexts | None = None
    """続報: every update between the first and the last."""
    final: UpdateTexts | None = None
    """最終報: the last update (none can follow it)."""

    def of(self, kind: UpdateKind) -> UpdateTexts | None:
        return getattr(self, kind.value)  # type: ignore[no-any-return]


class UpdateTemplates(BaseModel):
    """A scenario's status updates (第N報): what staff and outside agencies are sent."""

    model_config = _MODEL

    staff: UpdateSet | None = None
    """For staff (庁内の職員)."""
    agency: UpdateSet | None = None
    """For outside agencies (庁外の関係機関); the staff texts where missing."""


class Inject(BaseModel):
    """A timed inject (状況付与): what happens at T+minutes in the scenario."""

    model_config = _MODEL

    id: Id | None = None
    """A name for it, so that a notice can be given when it happens (`at_inject`)."""
    at_minutes: float = Field(ge=0, le=MAX_MINUTES, allow_inf_nan=False)
    """Minutes from the start."""
    text: Text
    """What the duty officer is told."""


NoticeQuorum = Literal["every", "all", "any"] | Annotated[int, Field(ge=1)]


class Notice(BaseModel):
    """Who is told at one point of a scenario: one level of a tree (all its members, or
    some of them), when, how many must acknowledge, and which message they get.

    A scenario's notices of one tree run in the order listed, each when the one before it
    has finished and its inject has happened or its step is completed.
    """

    model_config = _MODEL

    tree: Id
    """The tree whose level is paged (one of the scenario's `trees`)."""
    level: Id
    """The level of that tree: its channels, timeouts and retries are used."""
    members: tuple[Id, ...] = ()
    """Only these members of the level (roles or people); all of them when empty."""
    required: NoticeQuorum | None = None
    """every: every one of them must acknowledge, none is "not needed" when others answer;
    any: the first acknowledgement is enough; or a number. The level's own when empty."""
    at_inject: Id | None = None
    """Page them only once this inject (its `id`) has happened (e.g. a leak suspected)."""
    after_step: Id | None = None
    """Page them only once this playbook step is completed."""
    audience: Audience | None = None
    """Which message they get: staff (instructions) or agency (a formal notification).
    By default an outside agency's role (`agency:`) or an external tree gets the agency
    message, everyone else the staff message."""

    @model_validator(mode="after")
    def _one_trigger(self) -> Notice:
        if self.at_inject is not None and self.after_step is not None:
            raise PydanticCustomError(
                "notice", "give at_inject or after_step, not both (a notice waits for one)"
            )
        return self


class Choice(BaseModel):
    """One answer a question offers (出社可能, 30分以内, 不可; 無事, 要支援): pressed as
    its number on the telephone, chosen by its button on the link page, or written as
    its number or label on the first line of a reply e-mail."""

    model_config = _MODEL

    key: Id
    """Its id, as recorded with the acknowledgement (e.g. now, within30, cannot)."""
    label: Text
    """What people see and hear (出社可能)."""
    means: Literal["coming", "needs_help"] | None = None
    """coming: the person can come in (counted as such in the tally); needs_help: the
    person needs help (安否: 要支援). Nothing special when empty."""

    @field_validator("label")
    @classmethod
    def _short_label(cls, value: Text) -> Text:
        for text in (value.ja, value.en):
            if text is not None and (len(text) > 20 or "\n" in text):
                raise PydanticCustomError(
                    "choice", "a choice's label is one short line (20 characters at most)"
                )
        return value


class Question(BaseModel):
    """A question people answer when they acknowledge (出社可否, 安否確認): 2 to 9
    choices, numbered 1… in the order written (the telephone's keys)."""

    model_config = _MODEL

    text: Text
    """The question (出社できますか)."""
    choices: tuple[Choice, ...] = Field(min_length=2, max_length=9)
    """The answers, in order: the first is 1 on the keypad, the second 2, …"""

    @model_validator(mode="after")
    def _distinct(self) -> Question:
        for what, values in (
            ("key", [c.key for c in self.choices]),
            ("label", [_fold_label(c.label.ja) for c in self.choices]),
            ("English label", [_fold_label(c.label.en) for c in self.choices if c.label.en]),
        ):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise PydanticCustomError(
                    "question",
                    "two choices share the {what} '{value}': each needs its own",
                    {"what": what, "value": repeated[0]},
                )
        return self

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.choices)

    def choice(self, key: str) -> Choice | None:
        """The choice of `key`, None for a key it does not offer."""
        return next((c for c in self.choices if c.key == key), None)

    def by_digit(self, digit: str) -> Choice | None:
        """The choice a keypress (or a written number, full-width too) stands for."""
        text = digit.strip().translate(_WIDE_DIGITS)
        if len(text) != 1 or not text.isdigit() or text == "0":
            return None
        index = int(text) - 1
        return self.choices[index] if index < len(self.choices) else None

    def match(self, text: str) -> Choice | None:
        """The choice a line of text names: its number, its label (either language) or
        its key; None when it names none of them (or more than one)."""
        found = self.by_digit(text)
        if found is not None:
            return found
        numbered = _NUMBERED.match(text.translate(_WIDE_DIGITS))
        if numbered is not None:  # "2 30分以内", "2." or "2：": the number decides
            return self.by_digit(numbered.group(1))
        folded = _fold_label(text)
        if not folded:
            return None
        for choice in self.choices:
            names = {_fold_label(choice.label.ja), choice.key}
            if choice.label.en:
                names.add(_fold_label(choice.label.en))
            if folded in names:
                return choice
        return None

    def numbered(self, language: str, *, sep: str = " ") -> str:
        """The choices with their numbers, e.g. "1 出社可能 / 2 30分以内 / 3 不可"."""
        return " / ".join(
            f"{n}{sep}{c.label.get(language)}" for n, c in enumerate(self.choices, start=1)
        )


_NUMBERED = re.compile(r"^\s*([1-9])(?:[\s.．、,，:：)）]|$)")
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _fold_label(text: str | None) -> str:
    """A label as compared: full-width letters and digits folded, case and spaces ignored."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split()).strip("。.!！")


class Scenario(BaseModel):
    """A scripted scenario: which trees are activated, what is said, what must be done."""

    model_config = _MODEL

    id: Id
    """Unique id (defaults to the file name)."""
    kind: Literal["drill", "incident"]
    """drill: a rehearsal (always marked 訓練); incident: a real-incident playbook."""
    title: Text
    """Its title (都道府県サーバ集約センター障害)."""
    description: Text | None = None
    """What happens in it."""
    trees: tuple[Id, ...] = Field(min_length=1)
    """The trees to activate, in order."""
    activation: Literal["sequential", "parallel"] = "sequential"
    """sequential: a tree starts when the one before it has finished; parallel: all trees
    start together (e.g. J-LIS and the prefecture are told while the centres are paged)."""
    messages: ScenarioMessages
    """What is sent to the people paged (to staff: instructions)."""
    agency_messages: ScenarioMessages | None = None
    """What is sent to outside agencies: a formal notification (who we are, what
    happened, what we ask of them, whom to call back). `messages` when empty."""
    callback: Id | None = None
    """The role (or person) outside agencies call back: `{{ callback }}` in a message
    gives its name and first telephone number."""
    notify: tuple[Notice, ...] = ()
    """Who is told, when, with which message (see `Notice`). A tree of `trees` that no
    notice names is paged whole, every level in order, as when `notify` is empty."""
    injects: tuple[Inject, ...] = ()
    """Timed injects (状況付与)."""
    playbook: Id | None = None
    """The playbook the duty officer follows."""
    targets: tuple[Id, ...] = ()
    """Plan targets this scenario is measured against."""
    checklist: tuple[str, ...] = ()
    """Self-inspection items this scenario gives evidence for (5-2, 16-3, …)."""
    required_agencies: tuple[Agency, ...] = ()
    """Outside agencies it must reach, each one of them: a level's quorum is not met
    while one of these agencies in it has not acknowledged (and lint DK-W006 checks that
    the scenario pages them)."""
    updates: UpdateTemplates | None = None
    """Templates of the status updates (第1報, 続報, 最終報) the duty officer sends during
    the run; drillkit's own texts where the scenario has none."""
    question: Question | None = None
    """A question the people paged answer as they acknowledge (出社可否, 安否確認): the
    page lists its choices, the link page shows one button each, the call reads them
    out as keys 1…, and the board and the report tally the answers. Without it an
    acknowledgement is a plain 了解."""


class Step(BaseModel):
    """A playbook step: an owner, a target time, dependencies, checklist items."""

    model_config = _MODEL

    id: Id
    """Unique within the playbook."""
    title: Text
    """What to do (操作者識別カードの失効手続き)."""
    owner: Id
    """The role that does it."""
    target_minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES, allow_inf_nan=False)
    """Due this many minutes after the start (on time / late / missed in the report)."""
    depends_on: tuple[Id, ...] = ()
    """Steps that must be completed first."""
    checklist: tuple[str, ...] = ()
    """Self-inspection items this step gives evidence for."""
    detail: Text | None = None
    """How to do it."""


class Playbook(BaseModel):
    """A playbook: the ordered steps the duty officer follows."""

    model_config = _MODEL

    id: Id
    """Unique id (defaults to the file name)."""
    title: Text
    """Its title."""
    steps: tuple[Step, ...] = Field(min_length=1)
    """The steps, in order."""

    def step(self, step_id: str) -> Step:
        return next(step for step in self.steps if step.id == step_id)


class PlanInfo(BaseModel):
    """The emergency response plan (緊急時対応計画書) itself."""

    model_config = _MODEL

    organisation: Text
    """The organisation (サンプル市)."""
    title: Text
    """The plan's title (住民基本台帳ネットワークシステム緊急時対応計画書)."""
    version: str = Field(min_length=1)
    """The plan's version ("2026.1")."""
    approved_on: dt.date
    """When it was approved (YYYY-MM-DD)."""
    approved_by: str | None = None
    """Who approved it."""
    timezone: str = "Asia/Tokyo"
    """The time zone in which times are shown (IANA name)."""
    language: Language = "ja"
    """The default language for messages and reports."""
    sample: bool = False
    """True for a sample plan: it can never be sent through a real provider."""
    max_critical_roles: int = Field(default=2, ge=1)
    """Lint DK-W005 fires when one person holds more critical roles than this."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError(
                "timezone",
                "unknown time zone '{zone}'; use an IANA name like Asia/Tokyo",
                {"zone": value},
            ) from None
        return value

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Contents(BaseModel):
    """Which trees, scenarios and playbooks the plan contains (all found, when omitted)."""

    model_config = _MODEL

    trees: tuple[Id, ...] | None = None
    """Tree ids; when omitted, every tree under contacts/."""
    scenarios: tuple[Id, ...] | None = None
    """Scenario ids; when omitted, every file under scenarios/."""
    playbooks: tuple[Id, ...] | None = None
    """Playbook ids; when omitted, every file under playbooks/."""


class PlanFile(BaseModel):
    """`plan.yaml` at the root of a plan directory."""

    model_config = _MODEL

    plan: PlanInfo
    """The plan itself."""
    sites: tuple[Site, ...] = ()
    """Sites: regional centres (支所), the head office, divisions."""
    targets: tuple[Target, ...] = ()
    """Targets the reports check."""
    contents: Contents = Contents()
    """Which trees, scenarios and playbooks it contains."""


class ContactsFile(BaseModel):
    """A file under contacts/: any of people, roles and trees."""

    model_config = _MODEL

    people: tuple[Person, ...] = ()
    """People who may be paged."""
    roles: tuple[Role, ...] = ()
    """Roles, with holders and deputies."""
    trees: tuple[ContactTree, ...] = ()
    """Contact trees."""


class Plan(BaseModel):
    """A whole plan, assembled from its directory and checked across files."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    info: PlanInfo
    sites: tuple[Site, ...] = ()
    targets: tuple[Target, ...] = ()
    people: tuple[Person, ...] = ()
    roles: tuple[Role, ...] = ()
    trees: tuple[ContactTree, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    playbooks: tuple[Playbook, ...] = ()
    root: Path | None = None

    @cached_property
    def _index(self) -> dict[str, dict[str, Any]]:
        return {
            "site": {s.id: s for s in self.sites},
            "target": {t.id: t for t in self.targets},
            "person": {p.id: p for p in self.people},
            "role": {r.id: r for r in self.roles},
            "tree": {t.id: t for t in self.trees},
            "scenario": {s.id: s for s in self.scenarios},
            "playbook": {p.id: p for p in self.playbooks},
        }

    def person(self, person_id: str) -> Person:
        return self._index["person"][person_id]  # type: ignore[no-any-return]

    def role(self, role_id: str) -> Role:
        return self._index["role"][role_id]  # type: ignore[no-any-return]

    def site(self, site_id: str) -> Site:
        return self._index["site"][site_id]  # type: ignore[no-any-return]

    def tree(self, tree_id: str) -> ContactTree:
        return self._index["tree"][tree_id]  # type: ignore[no-any-return]

    def scenario(self, scenario_id: str) -> Scenario:
        return self._index["scenario"][scenario_id]  # type: ignore[no-any-return]

    def playbook(self, playbook_id: str) -> Playbook:
        return self._index["playbook"][playbook_id]  # type: ignore[no-any-return]

    def target(self, target_id: str) -> Target:
        return self._index["target"][target_id]  # type: ignore[no-any-return]

    def has(self, kind: str, item_id: str) -> bool:
        return item_id in self._index[kind]

    def is_role(self, ref: str) -> bool:
        return ref in self._index["role"]

    @cached_property
    def _held(self) -> dict[str, tuple[Role, ...]]:
        """Roles by holder, in plan order: one pass, so `roles_of` is a look-up."""
        held: dict[str, list[Role]] = {}
        for role in self.roles:
            if role.holder is not None:
                held.setdefault(role.holder, []).append(role)
        return {holder: tuple(roles) for holder, roles in held.items()}

    def roles_of(self, person_id: str) -> tuple[Role, ...]:
        """Roles this person holds (not those where they are only a deputy)."""
        return self._held.get(person_id, ())

    def site_of(self, member: Member) -> str | None:
        if member.site is not None:
            return member.site
        if self.is_role(member.ref):
            return self.role(member.ref).site
        return self.person(member.ref).site

    def candidates(self, ref: str, at: dt.datetime | None = None) -> tuple[Person, ...]:
        """Who is paged for `ref`, in order: a person; or a role's holder then deputies.

        A role named as holder or deputy expands to its own candidates; each person
        appears once, at their first place. A rotating role's holder is the person on
        duty at the aware moment `at`, or every person of the rotation when `at` is None.
        """
        if at is not None and not self._rotates:
            at = None  # no rota: the moment changes nothing, and the cache holds
        cached = self._candidates.get(ref) if at is None else None
        if cached is not None:
            return cached
        out: list[Person] = []
        seen_people: set[str] = set()
        seen_roles: set[str] = set()
        people, roles = self._index["person"], self._index["role"]
        # Depth first, in order, with a stack: a recursive closure would be a reference
        # cycle per call, left for the cycle collector (which a plan's load pauses).
        todo = [ref]
        while todo:
            item = todo.pop()
            person = people.get(item)
            if person is not None:
                if item not in seen_people:
                    seen_people.add(item)
                    out.append(person)
                continue
            role = roles.get(item)
            if role is None or item in seen_roles:
                continue
            seen_roles.add(item)
            todo.extend(reversed((*role.holders(at, self.info.zone), *role.deputies)))
        found = tuple(out)
        if at is None:
            self._candidates[ref] = found
        return found

    @cached_property
    def _rotates(self) -> bool:
        """Some role is a rota: who holds it depends on the moment."""
        return any(role.rotation is not None for role in self.roles)

    @cached_property
    def _candidates(self) -> dict[str, tuple[Person, ...]]:
        """`candidates` already expanded: the plan is frozen, so each ref expands once."""
        return {}

    def members(self, tree_id: str) -> Iterator[tuple[Level, Member]]:
        for level in self.tree(tree_id).levels:
            for member in level.members:
                yield level, member
