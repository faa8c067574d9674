"""The scenario's messages rendered for one page: person, role, site, deadline, start time.

Staff get the scenario's `messages` (instructions); an outside agency gets its
`agency_messages` (a formal notification: who we are, what happened, what we ask, whom to
call back), or `messages` where the scenario has none (lint DK-W014 says so).

Templates are compiled once per process and rendered per page: a nationwide tree sends
tens of thousands of pages, and compiling a Jinja template costs milliseconds while
rendering one costs microseconds. Rendering uses the plan's own sandbox, so what
a template may do is decided in one place (`drill.plan.templates`). A message of text
and placeholders only (most) is joined from the sandbox's parse of it
(`plain_pieces`), with no compiled template and no Jinja context per page.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from jinja2 import Template
from jinja2.exceptions import SecurityError, UndefinedError

from drill.engine.notifier import RenderedMessage
from drill.plan.contact import display_number
from drill.plan.models import Audience, ChannelKind, Messages, Plan, Scenario
from drill.plan.templates import TemplateProblem, compile_template, plain_pieces

__all__ = ["MessageRenderer", "callback_text", "clock_time"]


def clock_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """HH:MM in the plan's zone, as people read times in a message."""
    return moment.astimezone(zone).strftime("%H:%M")


_SEPARATOR = "\x00"  # never in a template or a name: splits one render into four parts


@functools.lru_cache(maxsize=64)
def _compile(voice: str, sms: str, subject: str, body: str) -> Template:
    # One template for the four texts: one render (one Jinja context) per page, not four.
    for source in (voice, sms, subject, body):
        if _SEPARATOR in source:
            raise TemplateProblem("a message template cannot contain a NUL character")
        compile_template(source)  # a syntax error names the one text it is in
    return compile_template(_SEPARATOR.join((voice, sms, subject, body)))


@functools.lru_cache(maxsize=64)
def _pieces(voice: str, sms: str, subject: str, body: str) -> tuple[tuple[bool, str], ...] | None:
    # The joined source as plain pieces: such a message needs no compiled template at all.
    # A text holding the separator is not split into pieces: `_compile` refuses it.
    if any(_SEPARATOR in source for source in (voice, sms, subject, body)):
        return None
    return plain_pieces(_SEPARATOR.join((voice, sms, subject, body)))


class MessageRenderer:
    """Renders one scenario's messages for each page."""

    def __init__(self, plan: Plan, scenario: Scenario, started: dt.datetime) -> None:
        self._zone = plan.info.zone
        self._scenario = scenario
        self._organisation = plan.info.organisation
        self._started = clock_time(started, self._zone)
        self._times: dict[int, str] = {}
        self._callback = {lang: callback_text(plan, scenario, lang) for lang in ("ja", "en")}

    def render(
        self,
        *,
        language: str,
        person: str,
        role: str,
        site: str,
        deadline: dt.datetime,
        audience: Audience = Audience.STAFF,
    ) -> RenderedMessage:
        scenario = self._scenario
        chosen = scenario.messages
        if audience is Audience.AGENCY and scenario.agency_messages is not None:
            chosen = scenario.agency_messages
        messages: Messages = chosen.get(language)
        values = {
            "person": person,
            "role": role,
            "site": site,
            "scenario": self._scenario.title.get(language),
            "organisation": self._organisation.get(language),
            "deadline": self._clock_time(deadline),
            "started": self._started,
            "callback": self._callback["en" if language == "en" else "ja"],
        }
        pieces = _pieces(messages.voice, messages.sms, messages.email_subject, messages.email_body)
        text: str | None = None
        if pieces is not None:
            try:
                # A list, not a generator: join builds one from a generator first anyway.
                text = "".join([str(values[name]) if is_name else name for is_name, name in pieces])
            except KeyError:
                text = None  # an unknown placeholder: the sandbox says which
        if text is None:
            template = _compile(
                messages.voice, messages.sms, messages.email_subject, messages.email_body
            )
            try:
                text = template.render(**values)
            except (UndefinedError, SecurityError) as exc:
                raise TemplateProblem(f"cannot render message: {exc}") from None
        parts = text.split(_SEPARATOR)
        if len(parts) != 4:
            raise TemplateProblem("cannot render message: a value contains a NUL character")
        voice, sms, subject, body = parts
        return RenderedMessage(voice, sms, subject.strip(), body)

    def _clock_time(self, moment: dt.datetime) -> str:
        # Thousands of pages share a deadline minute; formatting a time is not free.
        minute = int(moment.timestamp() // 60)
        found = self._times.get(minute)
        if found is None:
            found = self._times[minute] = clock_time(moment, self._zone)
        return found


def callback_text(plan: Plan, scenario: Scenario, language: str) -> str:
    """Whom an outside agency calls back: the scenario's `callback` role (or person), the
    person holding it and their first telephone number, written the Japanese way."""
    ref = scenario.callback
    if ref is None:
        return plan.info.organisation.get(language)
    people = plan.candidates(ref)
    title = plan.role(ref).name.get(language) if plan.is_role(ref) else ""
    if not people:
        return title or ref
    person = people[0]
    numbers = person.points(ChannelKind.VOICE)
    number = display_number(numbers[0].address) if numbers else ""
    sep = " " if language == "en" else "　"
    text = sep.join(part for part in (title, person.name) if part)
    if number:
        text += f" ({number})" if language == "en" else f"（{number}）"
    return text
