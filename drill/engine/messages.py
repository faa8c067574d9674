"""The scenario's messages rendered for one page: person, role, site, deadline, start time.

Templates are compiled once per drill and rendered per page: a nationwide tree sends
tens of thousands of pages, and compiling a Jinja template costs about a millisecond
while rendering one costs microseconds. Rendering uses the plan's own sandbox, so what
a template may do is decided in one place (`drill.plan.templates`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from jinja2 import Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from drill.engine.notifier import RenderedMessage
from drill.plan.models import Messages, Plan, Scenario
from drill.plan.templates import _ENV as _PLAN_SANDBOX  # the one sandbox for user templates
from drill.plan.templates import TemplateProblem

__all__ = ["MessageRenderer", "clock_time"]


def clock_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """HH:MM in the plan's zone, as people read times in a message."""
    return moment.astimezone(zone).strftime("%H:%M")


class MessageRenderer:
    """Renders one scenario's messages for each page, compiling each template once."""

    def __init__(self, plan: Plan, scenario: Scenario, started: dt.datetime) -> None:
        self._zone = plan.info.zone
        self._scenario = scenario
        self._organisation = plan.info.organisation
        self._started = clock_time(started, self._zone)
        self._compiled: dict[str, tuple[Template, Template, Template, Template]] = {}

    def render(
        self,
        *,
        language: str,
        person: str,
        role: str,
        site: str,
        deadline: dt.datetime,
    ) -> RenderedMessage:
        templates = self._templates(language)
        values = {
            "person": person,
            "role": role,
            "site": site,
            "scenario": self._scenario.title.get(language),
            "organisation": self._organisation.get(language),
            "deadline": clock_time(deadline, self._zone),
            "started": self._started,
        }
        voice, sms, subject, body = (_render(t, values) for t in templates)
        return RenderedMessage(voice, sms, subject.strip(), body)

    def _templates(self, language: str) -> tuple[Template, Template, Template, Template]:
        found = self._compiled.get(language)
        if found is None:
            messages: Messages = self._scenario.messages.get(language)
            try:
                found = (
                    _PLAN_SANDBOX.from_string(messages.voice),
                    _PLAN_SANDBOX.from_string(messages.sms),
                    _PLAN_SANDBOX.from_string(messages.email_subject),
                    _PLAN_SANDBOX.from_string(messages.email_body),
                )
            except TemplateSyntaxError as exc:
                raise TemplateProblem(f"cannot render message: {exc}") from None
            self._compiled[language] = found
        return found


def _render(template: Template, values: dict[str, Any]) -> str:
    try:
        return template.render(**values)
    except (UndefinedError, SecurityError) as exc:
        raise TemplateProblem(f"cannot render message: {exc}") from None
