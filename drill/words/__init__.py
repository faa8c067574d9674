"""The one word catalogue: how drillkit speaks, in Japanese (default) and English.

The console's board and log, every report format and the CLI's progress lines all take
their words from here, so a term reads the same wherever a person meets it: a late
acknowledgement is 遅れて応答 on the board, in the report and on the terminal.

- `terms.py`: the drill's vocabulary (contact statuses, reasons, channels, level, tree,
  site and target states, drill outcomes, step results).
- `sentences.py`: one sentence per event type, judged by the drill's fold (with the
  `Names` protocol and its two implementations; imported only when a sentence is said,
  so the console's first paint does not wait for the engine).
- `labels.py`: the report's headings and column titles.
- `cli.py`: the command line's headings, labels and notes; who did something when it
  was drillkit itself (the simulated operator).
- `Words` (here): all of them for one language, with numbers, durations and dates in
  that language's conventions: `2026年1月31日（土）10:00:05` and `12分05秒` in Japanese,
  `Sat 31 Jan 2026 10:00:05` and `12 min 05 s` in English.

It imports nothing but the core (the engine's enums and fold), so the console, the
report and the CLI may all import it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from typing import TYPE_CHECKING, Literal

from drill.words.cli import CLI, WHO
from drill.words.labels import LABELS
from drill.words.terms import (
    ATTEMPT,
    CHANNEL,
    CONTACT_STATUS,
    DELIVERY,
    DRILL,
    LEVEL,
    MODE,
    NOT_REACHED_ENDED,
    REASON,
    SITE,
    STEP,
    TARGET,
    TREE,
)

if TYPE_CHECKING:  # the sentences fold events: the engine is imported when one is said
    from drill.engine.events import Event
    from drill.engine.state import DrillState
    from drill.words.sentences import Names, Sentence

__all__ = [
    "LABELS",
    "LANGUAGES",
    "Lang",
    "Words",
    "check_lang",
    "choose_language",
    "reason_pair",
    "words",
]

Lang = Literal["ja", "en"]
LANGUAGES: tuple[Lang, ...] = ("ja", "en")
ENV = "DRILLKIT_LANG"
"""The environment variable that picks the language of the console and the CLI."""

_WEEKDAYS_JA = "月火水木金土日"

Pair = tuple[str, str]


def choose_language(option: str | None = None, saved: object = None) -> Lang:
    """The language to speak: an explicit `option`, then DRILLKIT_LANG, then the choice
    `saved` by the console, then Japanese. (LANG is not consulted: most servers and
    terminals say en_US or C, and drillkit is Japanese first.)"""
    for value in (option, os.environ.get(ENV), saved):
        if value in LANGUAGES:
            return "en" if value == "en" else "ja"
    return "ja"


def check_lang(value: str | None, default: Lang = "ja") -> Lang:
    """`value` as a language; ValueError names the choices."""
    if value is None:
        return default
    if value == "ja":
        return "ja"
    if value == "en":
        return "en"
    raise ValueError(f"unknown report language {value!r}; choose ja or en")


def reason_pair(key: str) -> Pair:
    """A reason in (Japanese, English); the key itself when unknown."""
    return REASON.get(key, (key, key))


class Words:
    """The whole catalogue in one language."""

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang
        self._index = 0 if lang == "ja" else 1

    def _term(self, table: dict[str, Pair], key: str | None) -> str:
        if key is None:
            return ""
        pair = table.get(key)
        return pair[self._index] if pair is not None else key

    # --- the report's labels ---------------------------------------------------------

    def __call__(self, key: str, **values: object) -> str:
        text = LABELS[key][self._index]
        return text.format(**values) if values else text

    def cli(self, key: str, **values: object) -> str:
        """The command line's own words (`cli.py`): headings, labels, notes."""
        text = CLI[key][self._index]
        return text.format(**values) if values else text

    def who(self, by: str | None) -> str:
        """Who did something: a person's name as given, drillkit's own actors translated."""
        return self._term(WHO, by)

    # --- the drill's vocabulary ------------------------------------------------------

    def status(self, key: str | None, why: str | None = None) -> str:
        """A contact's status (a ContactStatus value, or the report's not_paged / paging).
        `why`: the CancelReason of a contact not reached because the drill ended, so an
        operator's finish is not called an abort."""
        if key == "aborted" and why == "drill_finished":
            return NOT_REACHED_ENDED[self._index]
        return self._term(CONTACT_STATUS, key)

    def reason(self, key: str | None) -> str:
        """A failure, timeout, escalation or cancel reason."""
        return self._term(REASON, key)

    def channel(self, key: str | None) -> str:
        """A channel, or where an acknowledgement came from (reply, manual)."""
        return self._term(CHANNEL, key)

    def delivery(self, key: str | None) -> str:
        return self._term(DELIVERY, key)

    def attempt(self, key: str | None) -> str:
        """What came of one page (acknowledged, failed, timed_out, cancelled, pending)."""
        return self._term(ATTEMPT, key)

    def level(self, key: str | None) -> str:
        """A level's state: waiting, running, satisfied, exhausted."""
        return self._term(LEVEL, key)

    def tree(self, key: str | None) -> str:
        """A tree's state: waiting, running, satisfied, not_satisfied."""
        return self._term(TREE, key)

    def site(self, key: str | None) -> str:
        """A site's state: waiting, reached, all, not_reached."""
        return self._term(SITE, key)

    def target(self, key: str | None) -> str:
        """A target's state: met, missed, open."""
        return self._term(TARGET, key)

    def outcome(self, key: str | None) -> str:
        """How a drill went, or where it stands (DrillOutcome and DrillStatus values)."""
        return self._term(DRILL, key)

    def step(self, key: str | None) -> str:
        """A playbook step's result: on_time, late, missed, not_done."""
        return self._term(STEP, key)

    def mode(self, key: str | None) -> str:
        """drill, incident or simulated."""
        return self._term(MODE, key)

    def sentence(
        self, event: Event, state: DrillState | None = None, names: Names | None = None
    ) -> Sentence:
        """What `event` says, judged by the fold it was applied to."""
        from drill.words.sentences import sentence

        return sentence(event, self.lang, state, names)

    def pick(self, ja: str, en: str | None) -> str:
        """The text in this language, Japanese where there is no English."""
        return en if self.lang == "en" and en else ja

    def presence(self, owner: str | None, watching: tuple[str, ...] | list[str]) -> str:
        """Who runs a drill and who watches it (`実行: 佐藤@庁舎1　監視: 鈴木@庁舎2`)."""
        run_by = self("run_by", who=owner) if owner is not None else self("run_by_nobody")
        if not watching:
            return run_by
        sep = "、" if self.lang == "ja" else ", "
        gap = "　" if self.lang == "ja" else "  ·  "
        return f"{run_by}{gap}{self('watching', who=sep.join(watching))}"

    # --- numbers --------------------------------------------------------------------

    def count(self, value: int) -> str:
        return f"{value:,}"

    def percent(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        return f"{value * 100:.{digits}f}%"

    def duration(self, seconds: float | None) -> str:
        """`12分05秒` / `12 min 05 s`; `1時間02分` / `1 h 02 min` from an hour on."""
        if seconds is None or math.isnan(seconds):
            return "—"
        sign = "-" if seconds < 0 else ""
        total = int(abs(seconds) + 1e-6)  # a stopwatch: 91.6 s is 1:31, as the clock shows
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        if self.lang == "ja":
            if hours:
                return f"{sign}{hours}時間{minutes:02d}分{secs:02d}秒"
            if minutes:
                return f"{sign}{minutes}分{secs:02d}秒"
            return f"{sign}{secs}秒"
        if hours:
            return f"{sign}{hours} h {minutes:02d} min {secs:02d} s"
        if minutes:
            return f"{sign}{minutes} min {secs:02d} s"
        return f"{sign}{secs} s"

    def minutes(self, value: float) -> str:
        """A plan's minutes: `10分` / `10 min`."""
        text = f"{value:g}"
        return f"{text}分" if self.lang == "ja" else f"{text} min"

    def margin(self, seconds: float | None) -> str:
        """How far inside (+) or past (−) a target: `1分30秒の余裕` / `1 min 30 s to spare`."""
        if seconds is None:
            return "—"
        if seconds >= 0:
            text = self.duration(seconds)
            return f"{text}の余裕" if self.lang == "ja" else f"{text} to spare"
        text = self.duration(-seconds)
        return f"{text}超過" if self.lang == "ja" else f"{text} over"

    # --- dates ------------------------------------------------------------------------

    def date(self, value: dt.date) -> str:
        if self.lang == "ja":
            return f"{value.year}年{value.month}月{value.day}日（{_WEEKDAYS_JA[value.weekday()]}）"
        return f"{value.strftime('%a')} {value.day} {value.strftime('%b %Y')}"

    def datetime(self, value: dt.datetime | None) -> str:
        """A local time with its date (the caller converts to the plan's zone)."""
        if value is None:
            return "—"
        return f"{self.date(value.date())} {value.strftime('%H:%M:%S')}"

    def clock(self, value: dt.datetime | None) -> str:
        """Only the time of day, for rows within one drill."""
        return "—" if value is None else value.strftime("%H:%M:%S")


_WORDS: dict[str, Words] = {}


def words(lang: str) -> Words:
    """The catalogue in `lang` ("en" for English, anything else Japanese)."""
    key: Lang = "en" if lang == "en" else "ja"
    found = _WORDS.get(key)
    if found is None:
        found = _WORDS[key] = Words(key)
    return found
