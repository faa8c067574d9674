"""Kept so that `from drill.report.wording import …` still works: the report's words now
live in the one catalogue, `drill.words`, shared with the console and the CLI.

Nothing in the renderers imports this any more; `drill/report/model.py` still takes
`reason_pair` from here until it is rewritten to read the catalogue directly.
"""

from __future__ import annotations

from drill.words import LANGUAGES, Lang, Words, check_lang, reason_pair, words

__all__ = ["LANGUAGES", "Lang", "Words", "check_lang", "reason_pair", "words"]
