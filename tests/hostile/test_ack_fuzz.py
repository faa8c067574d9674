"""A seeded fuzzer over ack requests: methods, paths, headers, bodies and encodings, sent
as raw bytes over real HTTP to the ack server of a live drill on 127.0.0.1.

It fails on any 5xx, any answer that is not HTTP, any traceback (in a page or in the
logs) and any request not answered within 5 s; and afterwards the journal must hold at
most the one acknowledgement a good link may legitimately make. Every request is framed
correctly (its Content-Length or its chunks are complete) unless its kind is about broken
framing, so a slow answer is the server's fault, never a body the server still waits for.

`DRILLKIT_FUZZ_SEED` and `DRILLKIT_FUZZ_CASES` replay or widen a run; the counts are
printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import collections
import gzip
import logging
import os
import random
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from drill.engine.state import DrillState
from drill.plan.models import ChannelKind

from .ack_fixtures import DRILL, PUBLIC_URL, LiveDrill, live_drill, raw_request

SEED = int(os.environ.get("DRILLKIT_FUZZ_SEED", "1313"))
CASES = int(os.environ.get("DRILLKIT_FUZZ_CASES", "1200"))
TOKEN = "fuzz-twilio-auth-token"
HANG = 5.0
PARALLEL = 8

_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"}
    | {"PROPFIND", "MKCOL"}
)

Request = tuple[str, bytes]
"""(kind, the raw request)."""


@pytest.fixture
async def drill(tmp_path: Path) -> AsyncIterator[LiveDrill]:
    async for live in live_drill(tmp_path, twilio_token=TOKEN):
        yield live


class _Tracebacks(logging.Handler):
    """Every log record that carries an exception (aiohttp's "Error handling request")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info is not None or record.levelno >= logging.ERROR:
            self.records.append(record)


class Fuzzer:
    """Builds one random request at a time from the live drill's real tokens and paths."""

    def __init__(self, rng: random.Random, drill: LiveDrill) -> None:
        self.rng = rng
        self.drill = drill
        self.good = drill.token()
        self.voice = drill.token(ChannelKind.VOICE)
        self.validator = RequestValidator(TOKEN)

    # -- pieces ------------------------------------------------------------------------

    def junk(self, low: int = 0, high: int = 64) -> bytes:
        return self.rng.randbytes(self.rng.randint(low, high))

    def token(self) -> str:
        r = self.rng
        choice = r.randrange(9)
        if choice == 0:
            return self.good
        if choice == 1:
            return self.voice
        if choice == 2:  # one character changed
            i = r.randrange(len(self.good))
            return self.good[:i] + r.choice("Aa0-_") + self.good[i + 1 :]
        if choice == 3:
            return self.good[: r.randrange(len(self.good))]
        if choice == 4:
            return self.good + "A" * r.randint(1, 40)
        if choice == 5:  # percent-encoded bytes, valid UTF-8 or not
            return urllib.parse.quote_from_bytes(self.junk(1, 30), safe="")
        if choice == 6:
            return "ＡＢＣ確認" + self.good
        if choice == 7:  # a long token with a dot (read as an itsdangerous token)
            return "eyJ" + "".join(r.choice("abcXYZ019-_.") for _ in range(r.randint(5, 300)))
        return "%ff%fe" + self.good

    def twilio_path(self) -> str:
        r = self.rng
        route = r.choice(
            ["/twilio/gather", "/twilio/status", "/twilio/voice", "/twilio/message-status"]
        )
        query = {
            "drill": r.choice([DRILL, "other", "", "%ff"]),
            "page": r.choice([self.drill.page.page_id, f"{DRILL}-p99", "", "x" * 300]),
            "lang": r.choice(["ja", "en", "xx", ""]),
            "round": r.choice(["1", "2", "-1", "9" * 40, "abc", ""]),
        }
        keys = r.sample(list(query), r.randint(0, len(query)))
        return route + ("?" + "&".join(f"{k}={query[k]}" for k in keys) if keys else "")

    def path(self) -> tuple[str, str]:
        r = self.rng
        choice = r.randrange(10)
        if choice < 4:
            return "link", f"/a/{self.token()}"
        if choice < 7:
            return "twilio", self.twilio_path()
        if choice == 7:
            return "known", r.choice(["/healthz", "/robots.txt", "/", "/a/", "/a", "/twilio/"])
        if choice == 8:
            return "odd path", r.choice(
                [
                    "/../../etc/passwd",
                    "//a//" + self.good,
                    "/a/" + self.good + "/extra",
                    "/a/" + self.good + "?confirm=yes",
                    "/a/" + self.good + "#frag",
                    "/%00",
                    "/" + "a" * r.randint(100, 6000),
                    "*",
                    "http://example.invalid/a/" + self.good,
                ]
            )
        return "junk path", "/" + urllib.parse.quote_from_bytes(self.junk(1, 80), safe="/%")

    def method(self) -> str:
        r = self.rng
        common = ["GET", "POST", "POST", "POST", "HEAD"]
        odd = ["PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "PROPFIND", "MKCOL"]
        if r.random() < 0.75:
            return r.choice(common)
        if r.random() < 0.9:
            return r.choice(odd)
        return r.choice(["BREW", "get", "P0ST", "GET\x01", "X" * 40])

    def form(self, path: str) -> tuple[str, dict[str, str], bytes]:
        """(kind, extra headers, body) of a form-ish body."""
        r = self.rng
        ctype = "application/x-www-form-urlencoded"
        choice = r.randrange(12)
        if choice == 0:
            return "form", {"Content-Type": ctype}, b"confirm=yes"
        if choice == 1:
            return "non-utf8 form", {"Content-Type": ctype}, b"confirm=" + self.junk(1, 20)
        if choice == 2:
            charset = r.choice(["bogus", "utf-7", "latin-1", "shift_jis", "utf-16", "x" * 80, ""])
            body = "confirm=yes&name=確認".encode(r.choice(["utf-8", "shift_jis"]))
            return "charset", {"Content-Type": f"{ctype}; charset={charset}"}, body
        if choice == 3:
            boundary = r.choice(["xx", "", '"quoted"', "a" * 200])
            params = f"; boundary={boundary}" if r.random() < 0.7 else ""
            body = r.choice(
                [
                    b"--xx\r\nContent-Disposition: form-data; name=confirm\r\n\r\nyes\r\n--xx--\r\n",
                    b"--xx\r\ngarbage",
                    b"--xx\r\nContent-Disposition: form-data; name=confirm\r\n\r\nyes",
                    b"--xx\r\nContent-Disposition: form-data; name=f; filename=a.txt\r\n"
                    b"Content-Type: application/octet-stream\r\n\r\n"
                    + self.junk(0, 200)
                    + b"\r\n--xx--\r\n",
                    self.junk(0, 300),
                ]
            )
            return "multipart", {"Content-Type": f"multipart/form-data{params}"}, body
        if choice == 4:
            body = r.choice([b"%zz=%", b"&&&==&", b"confirm=%FF%FE", b"a=" + b"%" * 50, b"=" * 10])
            return "broken escapes", {"Content-Type": ctype}, body
        if choice == 5:
            return (
                "big body",
                {"Content-Type": ctype},
                b"confirm=yes&x=" + b"A" * r.randint(60_000, 200_000),
            )
        if choice == 6:
            return (
                "json",
                {"Content-Type": "application/json"},
                b'{"confirm": "yes"' + self.junk(0, 5),
            )
        if choice == 7:
            return "no content type", {}, r.choice([b"confirm=yes", self.junk()])
        if choice == 8:
            body = gzip.compress(b"confirm=yes") if r.random() < 0.5 else self.junk(1, 40)
            headers = {
                "Content-Type": ctype,
                "Content-Encoding": r.choice(["gzip", "deflate", "br", "bogus"]),
            }
            return "content-encoding", headers, body
        if choice == 9 and path.startswith("/twilio/"):
            return self.signed(path)
        if choice == 10:
            return (
                "many fields",
                {"Content-Type": ctype},
                b"&".join(b"f%d=v" % i for i in range(r.randint(100, 3000))),
            )
        return (
            "random body",
            {"Content-Type": r.choice([ctype, "text/plain", "x/y; ;;", "\x7f"])},
            self.junk(),
        )

    def signed(self, path: str) -> tuple[str, dict[str, str], bytes]:
        """A genuinely signed Twilio callback (sometimes with a broken signature)."""
        r = self.rng
        params = {
            "CallSid": r.choice(["CA1", "CA2", "", "確認"]),
            "Digits": r.choice(["1", "2", "", "11", "１"]),
            "CallStatus": r.choice(["ringing", "completed", "busy", "failed", "weird", ""]),
            "MessageStatus": r.choice(["delivered", "undelivered", ""]),
            "ErrorCode": r.choice(["30003", "abc", "", "9" * 30]),
            "AnsweredBy": r.choice(["human", "machine_start", ""]),
        }
        params = dict(r.sample(sorted(params.items()), r.randint(0, len(params))))
        signature = self.validator.compute_signature(PUBLIC_URL + path, params)
        if r.random() < 0.2:
            signature = signature[::-1]
        body = urllib.parse.urlencode(params).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        return "signed twilio", headers, body

    # -- one request -------------------------------------------------------------------

    def request(self) -> Request:
        r = self.rng
        method = self.method()
        path_kind, path = self.path()
        headers: dict[str, str] = {"Host": r.choice(["127.0.0.1", "ack.example.jp", "", "x" * 300])}
        body = b""
        body_kind = "no body"
        if method.upper() in ("POST", "PUT", "PATCH") or r.random() < 0.1:
            body_kind, extra, body = self.form(path)
            headers.update(extra)
        if r.random() < 0.1:
            headers[r.choice(["X-Twilio-Signature", "Cookie", "Accept-Language", "X-Junk"])] = (
                self.junk(1, 40).decode("latin-1").replace("\r", "").replace("\n", "")
            )
        framing = r.randrange(10)
        head = f"{method} {path} HTTP/1.1\r\n".encode("utf-8", "surrogateescape")
        lines = b"".join(f"{k}: {v}\r\n".encode("latin-1", "replace") for k, v in headers.items())
        lines += b"Connection: close\r\n"
        if framing == 0 and body:
            chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
            kind = "chunked"
            data = head + lines + b"Transfer-Encoding: chunked\r\n\r\n" + chunked
        elif framing == 1:
            kind = "broken framing"
            data = (
                head
                + lines
                + r.choice(
                    [
                        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + b"\r\n0\r\n\r\n",
                        b"Content-Length: -1\r\n\r\n" + body,
                        b"Content-Length: abc\r\n\r\n" + body,
                        b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                        b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
                        b"Bad Header Line\r\n\r\n",
                        b"X: " + b"a" * 20_000 + b"\r\n\r\n",
                    ]
                )
            )
        else:
            kind = "length"
            data = head + lines + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        verb = method if method in _METHODS else "junk method"
        return f"{path_kind}/{verb}/{body_kind}/{kind}", data


async def test_fuzzed_ack_requests_never_get_a_5xx_a_traceback_or_a_hang(
    drill: LiveDrill, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    fuzzer = Fuzzer(rng, drill)
    requests = [fuzzer.request() for _ in range(CASES)]
    tracebacks = _Tracebacks()
    root = logging.getLogger()
    root.addHandler(tracebacks)
    kinds: collections.Counter[str] = collections.Counter()
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    queue = collections.deque(enumerate(requests))
    started = time.monotonic()

    async def worker() -> None:
        while queue:
            index, (kind, data) = queue.popleft()
            for part in kind.split("/"):
                kinds[part] += 1
            try:
                status, answer = await raw_request(drill.server.port, data, seconds=HANG)
            except TimeoutError:
                failures.append(f"#{index} {kind}: no answer within {HANG} s")
                continue
            except ConnectionError as exc:
                failures.append(f"#{index} {kind}: connection dropped ({exc})")
                continue
            statuses[status] += 1
            if not 100 <= status < 500:
                failures.append(f"#{index} {kind}: {answer[:120]!r}")
            elif b"Traceback" in answer:
                failures.append(f"#{index} {kind}: a traceback in the answer")

    try:
        await asyncio.gather(*(worker() for _ in range(PARALLEL)))
    finally:
        root.removeHandler(tracebacks)
    seconds = time.monotonic() - started
    failures += [f"log: {rec.getMessage()} ({rec.exc_info!r})" for rec in tracebacks.records]

    await drill.runner.finish(by="fuzz")
    folded = DrillState.from_events(await drill.store.read(DRILL))
    acks = [c.ack for c in folded.contacts.values() if c.ack is not None]
    with capsys.disabled():
        print(
            f"\nack fuzzer: seed {SEED}, {len(requests)} cases in {seconds:.1f} s, "
            f"{len(kinds)} kinds, statuses {dict(sorted(statuses.items()))}, "
            f"failures {len(failures)}"
        )
        print("  kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    assert not failures, "\n".join(failures[:20])
    assert sum(statuses.values()) == CASES >= 1000
    assert len(kinds) >= 30  # the generator still reaches every family of input
    # Whatever got through, the journal holds at most one acknowledgement (alice's, by a
    # genuine link or a signed keypress), and nothing by a voice token on the link path.
    assert len(acks) <= 1
    assert all(a.source in ("email", "voice") for a in acks)
