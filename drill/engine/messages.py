"""The scenario's messages rendered for one page: person, role, site, deadline, start time.

Templates are compiled once per process and rendered per page: a nationwide tree sends
tens of thousands of pages, and compiling a Jinja template costs milliseconds while
rendering one costs microseconds. Rendering uses the plan's own sandbox, so what
a template may do is decided in one place (`drill.plan.templates`).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from jinja2 import Template
from jinja2.exceptions import SecurityError, UndefinedError

from drill.engine.notifier import RenderedMessage
from drill.plan.models import Messages, Plan, Scenario
from drill.plan.templates import TemplateProblem, compile_template

__all__ = ["MessageRenderer", "clock_time"]


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


class MessageRenderer:
    """Renders one scenario's messages for each page."""

    def __init__(self, plan: Plan, scenario: Scenario, started: dt.datetime) -> None:
        self._zone = plan.info.zone
        self._scenario = scenario
        self._organisation = plan.info.organisation
        self._started = clock_time(started, self._zone)
        self._times: dict[int, str] = {}

    def render(
        self,
        *,
        language: str,
        person: str,
        role: str,
        site: str,
        deadline: dt.datetime,
    ) -> RenderedMessage:
        messages: Messages = self._scenario.messages.get(language)
        template = _compile(
            messages.voice, messages.sms, messages.email_subject, messages.email_body
        )
        values = {
            "person": person,
            "role": role,
            "site": site,
            "scenario": self._scenario.title.get(language),
            "organisation": self._organisation.get(language),
            "deadline": self._clock_time(deadline),
            "started": self._started,
        }
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
