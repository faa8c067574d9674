"""Signed, expiring acknowledgement-link tokens."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.channels import links as links_module
from drill.channels.links import (
    LINK_TOKEN_LENGTH,
    ExpiredLink,
    InvalidLink,
    Links,
    UnknownDrill,
    make_link,
    peek_token,
    read_token,
)
from drill.config import AckSettings
from drill.plan.models import ChannelKind

from .conftest import DRILL, Clock, make_page


def test_token_round_trip_binds_drill_page_and_channel(links: Links, clock: Clock) -> None:
    page = make_page(3, channel=ChannelKind.SMS, attempt=2)
    claim = links.verify(links.make_token(page), [DRILL])
    assert (claim.drill_id, claim.page_id) == (DRILL, f"{DRILL}-p3")
    assert claim.attempt is None  # the page implies it
    assert claim.channel is ChannelKind.SMS
    assert clock.now - 60 < claim.issued_at <= clock.now
    assert links.read_token(links.make_token(page)) == (DRILL, page.page_id)
    for channel in ChannelKind:
        assert links.verify(links.make_token(make_page(9, channel=channel))).channel is channel


def test_a_token_is_18_url_safe_characters_for_any_drill_and_page(links: Links) -> None:
    for drill, n in [(DRILL, 1), ("20260131-1000-7f3a", 16383), ("訓練-" + "x" * 200, 77)]:
        token = links.make_token(make_page(n, drill_id=drill))
        assert len(token) == LINK_TOKEN_LENGTH == 18
        assert token.isascii() and token.replace("-", "").replace("_", "").isalnum()
        assert links.read_token(token, [drill]) == (drill, f"{drill}-p{n}")


def test_every_page_gets_its_own_token(links: Links) -> None:
    tokens = {links.make_token(make_page(n)) for n in range(1, 200)}
    assert len(tokens) == 199
    other = make_page(1, drill_id="20260131-1000-7f3a")
    assert links.make_token(other) not in tokens


def test_a_link_with_a_25_character_host_is_54_characters() -> None:
    host = "drill.sample-city.lg.jp"
    host += "x" * (25 - len(host))
    page = make_page(12, channel=ChannelKind.SMS)
    link = Links(public_url=f"https://{host}", key="k", ttl_seconds=86400).make_link(page)
    assert link.startswith(f"https://{host}/a/")
    assert len(link) == len("https://") + 25 + len("/a/") + 18 == 54


def test_page_ids_of_another_form_get_a_long_token_that_still_round_trips(
    links: Links,
) -> None:
    for page_id in ["pg-42", f"{DRILL}-p0", f"{DRILL}-p07", f"{DRILL}-p16384", f"{DRILL}-p1x"]:
        page = dataclasses.replace(make_page(1, attempt=2), page_id=page_id)
        token = links.make_token(page)
        assert len(token) > LINK_TOKEN_LENGTH and "." in token
        claim = links.verify(token)
        assert (claim.drill_id, claim.page_id, claim.attempt) == (DRILL, page_id, 2)


def test_long_tokens_already_sent_are_still_read(links: Links, clock: Clock) -> None:
    page = make_page(5, channel=ChannelKind.SMS)
    old = links._long_token(page)  # the format links were made in before short tokens
    claim = links.verify(old, [])
    assert (claim.drill_id, claim.page_id, claim.channel) == (DRILL, page.page_id, page.channel)
    with pytest.raises(InvalidLink):
        links.verify(old[:-2] + ("AA" if not old.endswith("AA") else "BB"))
    clock.advance(3601)
    with pytest.raises(ExpiredLink):
        links.verify(old)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature altered
        lambda t: t[:5] + ("x" if t[5] != "x" else "y") + t[6:],  # page number altered
        lambda t: t[:8] + ("x" if t[8] != "x" else "y") + t[9:],  # issue time altered
        lambda t: t[: len(t) // 2],  # cut short (a wrapped line in a mail client)
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: t + "ä",
        lambda t: t + "A",  # one character too many
        lambda t: t[:-1] + "=",  # not the base64url alphabet
        lambda t: t[:2] + "/" + t[3:],
    ],
)
def test_tampered_tokens_are_refused(links: Links, mangle: object) -> None:
    token = links.make_token(make_page())
    with pytest.raises(InvalidLink):
        links.verify(mangle(token), [DRILL])  # type: ignore[operator]


def test_a_token_cannot_be_moved_to_another_page_or_channel(links: Links) -> None:
    token = links.make_token(make_page(2, channel=ChannelKind.EMAIL))
    value = _digits(token)
    assert value is not None
    for flip in range(64, 108):  # every bit of hint, channel, page number and minute
        forged = links_module._encode(value ^ (1 << flip))
        with pytest.raises((InvalidLink, UnknownDrill)):
            links.verify(forged, [DRILL])


def _digits(token: str) -> int | None:
    """A short token's number, digit by digit (None: not base64url digits)."""
    value = 0
    for char in token:
        digit = links_module._ALPHABET.find(char)
        if digit < 0:
            return None
        value = (value << 6) | digit
    return value


@pytest.mark.parametrize(
    "token",
    [
        "",
        "A" * 17,
        "A" * 18,
        "_" * 18,
        "-" * 18,
        "A" * 19,
        "Az09-_" * 3,
        "Az09-+" * 3,
        "Az09-/" * 3,
        "A" * 16 + "==",
        "A" * 17 + "\n",
        "A" * 17 + "٣",  # an Arabic-Indic digit: a digit, not base64url
        "A" * 17 + "é",
        "A" * 17 + " ",
    ],
)
def test_short_tokens_decode_as_their_base64url_digits(token: str) -> None:
    expected = _digits(token) if len(token) == links_module.LINK_TOKEN_LENGTH else None
    decoded = links_module._decode(token)
    if expected is None:
        assert decoded is None
    else:
        assert decoded == (expected >> 64, (expected & (2**64 - 1)).to_bytes(8, "big"))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(links_module._ALPHABET) | st.characters(),
        min_size=16,
        max_size=20,
    )
)
def test_any_text_decodes_as_its_base64url_digits_or_not_at_all(token: str) -> None:
    test_short_tokens_decode_as_their_base64url_digits(token)


def test_a_token_signed_with_another_key_is_refused(clock: Clock) -> None:
    mine = Links(public_url="http://x", key="key-one", ttl_seconds=60, clock=clock)
    theirs = Links(public_url="http://x", key="key-two", ttl_seconds=60, clock=clock)
    with pytest.raises(InvalidLink):
        mine.verify(theirs.make_token(make_page()), [DRILL])


def test_the_same_page_of_another_drill_is_another_token(links: Links) -> None:
    twin = "drill-2026-06-02-roll-call"
    token = links.make_token(make_page(1, drill_id=twin))
    assert links.read_token(token, [twin]) == (twin, f"{twin}-p1")
    assert links.make_token(make_page(1)) != token


def test_a_token_for_a_drill_not_known_here_is_an_unknown_drill(
    links: Links, forget_links: Callable[[], None]
) -> None:
    token = links.make_token(make_page())
    forget_links()
    with pytest.raises(UnknownDrill):
        links.verify(token)
    with pytest.raises(UnknownDrill):
        links.verify(token, ["20260131-1000-7f3a"])
    assert links.verify(token, [DRILL]).page_id == f"{DRILL}-p1"
    assert peek_token(token) is None


def test_peek_reads_a_token_made_in_this_process_without_checking_it(links: Links) -> None:
    token = links.make_token(make_page(6, channel=ChannelKind.SMS))
    claim = peek_token(token)
    assert claim is not None and claim.page_id == f"{DRILL}-p6"
    assert peek_token("not-a-token") is None


def test_token_expires_after_the_link_lifetime(links: Links, clock: Clock) -> None:
    token = links.make_token(make_page())
    clock.advance(3599)
    assert links.verify(token).page_id == f"{DRILL}-p1"
    # The issue time is kept to the minute: a token lasts at least the lifetime and at
    # most a minute more.
    clock.advance(61)
    with pytest.raises(ExpiredLink):
        links.verify(token)


def test_a_token_from_a_clock_a_little_ahead_is_good(links: Links, clock: Clock) -> None:
    ahead = Links(
        public_url="http://x",
        key="test-link-key-0123456789",
        ttl_seconds=3600,
        clock=lambda: clock.now + 240,
    )
    assert links.verify(ahead.make_token(make_page()), [DRILL]).page_id == f"{DRILL}-p1"
    far_ahead = Links(
        public_url="http://x",
        key="test-link-key-0123456789",
        ttl_seconds=3600,
        clock=lambda: clock.now + 3 * 3600,
    )
    with pytest.raises(ExpiredLink):
        links.verify(far_ahead.make_token(make_page()), [DRILL])


def test_a_lifetime_of_a_year_or_more_gets_long_tokens(clock: Clock) -> None:
    forever = Links(public_url="http://x", key="k", ttl_seconds=400 * 86400, clock=clock)
    token = forever.make_token(make_page())
    assert "." in token
    clock.advance(300 * 86400)
    assert forever.read_token(token) == (DRILL, f"{DRILL}-p1")


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
    # On the module's own logger: `drillkit demo`, run in process by a CLI test before
    # this one, quiets "drill.channels" for the rest of the process.
    caplog.set_level(logging.DEBUG, logger=links_module.__name__)
    first = links_module.link_key()
    assert links_module.link_key() == first  # one key for the whole process
    assert "random key for this process" in caplog.text
    assert isinstance(first, bytes)
    assert first.hex() not in caplog.text and repr(first) not in caplog.text
