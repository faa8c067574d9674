"""The command line's own words (`drill/words/cli.py`): both languages, and Japanese
text with no English word in it but product names, codes and the commands it quotes."""

from __future__ import annotations

import re

from drill.words import words
from drill.words.cli import CLI, WHO

_LATIN = re.compile(r"[A-Za-z][A-Za-z-]*")
_QUOTED = re.compile(r"`[^`]*`|--[a-z-]+|\{[^}]*\}")
_ALLOWED = {"SMS", "ID", "Twilio", "API", "SMTP", "STARTTLS"}


def test_every_cli_entry_has_japanese_and_english_with_the_same_placeholders() -> None:
    for key, (ja, en) in {**CLI, **WHO}.items():
        assert ja and en, key
        assert set(re.findall(r"\{(\w+)\}", ja)) == set(re.findall(r"\{(\w+)\}", en)), key


def test_no_english_word_inside_the_japanese_cli_text() -> None:
    for key, (ja, _) in {**CLI, **WHO}.items():
        latin = set(_LATIN.findall(_QUOTED.sub("", ja))) - _ALLOWED
        assert not latin, f"{key}: English in Japanese text: {latin} in {ja!r}"


def test_the_simulated_operator_is_named_in_the_language_spoken() -> None:
    assert words("ja").who("simulated operator") == "模擬の実施者"
    assert words("en").who("simulated operator") == "simulated operator"
    assert words("ja").who("山田") == "山田"  # a person's name as given
