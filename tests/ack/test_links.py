"""Signed, expiring acknowledgement-link tokens."""

from __future__ import annotations

import logging

import pytest

from drill.ack import links as links_module
from drill.ack.links import ExpiredLink, InvalidLink, Links, make_link, read_token
from drill.config import AckSettings
from drill.plan.models import ChannelKind

from .conftest import DRILL, Clock, make_page


def test_token_round_trip_binds_drill_page_attempt_and_channel(links: Links) -> None:
    page = make_page(3, channel=ChannelKind.SMS, attempt=2)
    claim = links.verify(links.make_token(page))
    assert (claim.drill_id, claim.page_id) == (DRILL, page.page_id)
    assert claim.attempt == 2
    assert claim.channel is ChannelKind.SMS
    assert links.read_token(links.make_token(page)) == (DRILL, page.page_id)


def test_link_is_short_enough_for_an_sms(links: Links) -> None:
    page = make_page(12, channel=ChannelKind.SMS)
    link = Links(public_url="https://ack.city.example", key="k", ttl_seconds=60).make_link(page)
    assert link.startswith("https://ack.city.example/a/")
    # Signature and timestamp take 28 characters; the rest is the ids themselves.
    token = link.rsplit("/", 1)[1]
    assert len(token) <= len(page.page_id) + 60, link


def test_page_ids_that_do_not_repeat_the_drill_id_still_round_trip(links: Links) -> None:
    page = make_page(1)
    page = type(page)(**{**{f: getattr(page, f) for f in page.__slots__}, "page_id": "pg-42"})
    assert links.read_token(links.make_token(page)) == (DRILL, "pg-42")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature altered
        lambda t: t[:10] + ("x" if t[10] != "x" else "y") + t[11:],  # payload altered
        lambda t: t[: len(t) // 2],  # cut short (a wrapped line in a mail client)
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: t + "ä",
    ],
)
def test_tampered_tokens_are_refused(links: Links, mangle: object) -> None:
    token = links.make_token(make_page())
    with pytest.raises(InvalidLink):
        links.verify(mangle(token))  # type: ignore[operator]


def test_a_token_signed_with_another_key_is_refused(clock: Clock) -> None:
    mine = Links(public_url="http://x", key="key-one", ttl_seconds=60, clock=clock)
    theirs = Links(public_url="http://x", key="key-two", ttl_seconds=60, clock=clock)
    with pytest.raises(InvalidLink):
        mine.verify(theirs.make_token(make_page()))


def test_token_expires_after_the_link_lifetime(links: Links, clock: Clock) -> None:
    token = links.make_token(make_page())
    clock.advance(3599)
    assert links.verify(token).page_id.endswith("/p1/email/1")
    clock.advance(2)
    with pytest.raises(ExpiredLink):
        links.verify(token)


def test_token_url_is_found_in_quoted_text(links: Links) -> None:
    token = links.make_token(make_page())
    assert links.token_from_url(f"> https://ack.city.example/a/{token}") == token
    assert links.token_from_url("https://ack.city.example/healthz") is None


def test_configured_key_is_used_and_never_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DRILLKIT_LINK_KEY", "s3cret-link-key-value")
    caplog.set_level(logging.DEBUG)
    settings = AckSettings(public_url="https://ack.city.example")
    link = make_link(make_page(), settings)
    token = link.rsplit("/", 1)[1]
    assert read_token(token, settings)[0] == DRILL
    signed_elsewhere = Links(public_url="x", key="s3cret-link-key-value", ttl_seconds=60)
    assert signed_elsewhere.read_token(token)[0] == DRILL
    assert "s3cret-link-key-value" not in caplog.text


def test_without_a_key_a_process_key_is_used_and_announced_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DRILLKIT_LINK_KEY", raising=False)
    monkeypatch.setattr(links_module, "secret", lambda name: None)
    monkeypatch.setattr(links_module, "_process_key", None)
    caplog.set_level(logging.DEBUG)
    first = links_module.link_key()
    assert links_module.link_key() == first  # one key for the whole process
    assert "random key for this process" in caplog.text
    assert isinstance(first, bytes)
    assert first.hex() not in caplog.text and repr(first) not in caplog.text
