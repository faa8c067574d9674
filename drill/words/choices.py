"""The words of answers to a scenario's question (出社可否, 安否): the tally the board,
the report and `drillkit demo` show, in Japanese and English.

The choices' own labels come from the plan (`ChoiceInfo.label`); these are the words
around them.
"""

from __future__ import annotations

from drill.engine.state import Tally

__all__ = ["CHOICES", "choice_label", "choice_word", "tally_line"]

CHOICES: dict[str, tuple[str, str]] = {
    # (ja, en)
    "title": ("回答の集計", "Answers"),
    "question": ("質問", "Question"),
    "unanswered": ("未回答", "No answer"),
    "choice": ("回答", "Answer"),
    "count": ("人数", "People"),
    "who": ("回答者（回答時刻）", "Who (when)"),
    "coming": ("出社できる人", "Can come in"),
    "needs_help": ("要支援", "Need help"),
    "changes": ("回答の変更（集計は最初の回答）", "Changed answers (the first one is counted)"),
    "change": ("{who}: {first} → {later}（{at}）", "{who}: {first} → {later} ({at})"),
    "late": ("（遅延）", " (late)"),
    "by_level": ("階層別", "By level"),
    "level": ("階層", "Level"),
    "none": ("回答はまだありません。", "No answers yet."),
    "line": ("回答: {tally}", "Answers: {tally}"),
    "dialog": ("回答（任意）", "Answer (optional)"),
    "no_choice": ("回答なし（了解のみ）", "No answer (acknowledged only)"),
}


def choice_word(key: str, language: str, **values: object) -> str:
    """One of the words above, in `language` (Japanese for anything but "en")."""
    text = CHOICES[key][1 if language == "en" else 0]
    return text.format(**values) if values else text


def choice_label(tally: Tally, key: str, language: str) -> str:
    """The label of choice `key` (the key itself for one the question lacks)."""
    for choice in tally.choices:
        if choice.key == key:
            return choice.label(language)
    return key


def tally_line(tally: Tally, language: str) -> str:
    """ "出社可能 12 / 30分以内 3 / 不可 2 / 未回答 5": each choice, then who has not
    answered ("" when the scenario asks no question)."""
    if not tally.asked:
        return ""
    parts = [
        f"{choice_label(tally, key, language)} {len(found)}" for key, found in tally.answers.items()
    ]
    parts.append(f"{choice_word('unanswered', language)} {tally.unanswered}")
    return " / ".join(parts)
