"""The drill marker (【訓練】 / [DRILL]) on everything a drill sends.

The channel layer adds the marker itself when `Page.mode == "drill"`; templates never
carry it, so no template can remove it. Japanese pages get 【訓練】, English pages get
[DRILL]; an e-mail body also gets a bilingual notice line, because mail is forwarded to
people who read the other language. Incident pages (a confirmed real incident) get none.
"""

from __future__ import annotations

from drill.engine.notifier import Page

__all__ = [
    "DRILL_MARKER",
    "DRILL_NOTICE",
    "has_marker",
    "mark_email_body",
    "mark_email_subject",
    "mark_sms",
    "mark_text",
    "mark_voice",
    "marker_for",
]

DRILL_MARKER: dict[str, str] = {"ja": "【訓練】", "en": "[DRILL]"}
"""The marker, by language."""

DRILL_NOTICE: dict[str, str] = {
    "ja": "これは訓練です。実際の緊急事態ではありません。",
    "en": "This is a drill, not a real emergency.",
}
"""A sentence that says the same in words (spoken by voice calls, shown in e-mail)."""


def marker_for(language: str) -> str:
    """The marker for a page's language (Japanese for anything but "en")."""
    return DRILL_MARKER["en"] if language == "en" else DRILL_MARKER["ja"]


def _notice_for(language: str) -> str:
    return DRILL_NOTICE["en"] if language == "en" else DRILL_NOTICE["ja"]


def has_marker(text: str) -> bool:
    """True when `text` carries the marker of either language."""
    return any(marker in text for marker in DRILL_MARKER.values())


def mark_text(text: str, *, mode: str, language: str) -> str:
    """`text` with the marker in front when `mode` is "drill" (never twice)."""
    if mode != "drill":
        return text
    marker = marker_for(language)
    body = text.lstrip()
    if body.startswith(marker):
        return body
    separator = " " if language == "en" else ""
    return f"{marker}{separator}{body}"


def mark_voice(page: Page, text: str | None = None) -> str:
    """What the call speaks: the marker and the spoken notice, then the message."""
    body = page.message.voice if text is None else text
    if page.mode != "drill":
        return body
    marker = marker_for(page.language)
    return f"{marker} {_notice_for(page.language)} {body.strip()}"


def mark_sms(page: Page, text: str | None = None) -> str:
    """The SMS text with the marker (kept short: SMS segments are precious)."""
    body = page.message.sms if text is None else text
    return mark_text(body, mode=page.mode, language=page.language)


def mark_email_subject(page: Page, text: str | None = None) -> str:
    """The e-mail subject with the marker."""
    body = page.message.email_subject if text is None else text
    return mark_text(body, mode=page.mode, language=page.language)


def mark_email_body(page: Page, text: str | None = None) -> str:
    """The e-mail body: the marker, a bilingual notice line, then the message."""
    body = page.message.email_body if text is None else text
    if page.mode != "drill":
        return body
    first = page.language if page.language == "en" else "ja"
    second = "ja" if first == "en" else "en"
    notice = f"{marker_for(first)} {_notice_for(first)}\n{marker_for(second)} {_notice_for(second)}"
    return f"{notice}\n\n{body}"
