"""The chain's anchor: the head of a drill's hash chain, signed, printed in its report.

The hash chain shows an event changed in the middle, but not a journal rewritten with
every hash recomputed, nor one cut short at the end: both leave a chain that is
internally sound. The anchor closes that gap. When a report is made, the head of the
chain (drill id, number of events, hash of the last one) is signed, and the report
carries head and signature. `drillkit verify --against report.json` then checks the
signature, and that the journal still has that many events with that hash at the last
of them: a rewritten or truncated journal fails, and so does a report whose head was
edited to match.

Why Ed25519 (from `cryptography`) rather than an HMAC: the one who checks a report (an
auditor, another office) is not the one who ran the drill. With an HMAC, every checker
holds the signing key and so could sign a rewritten journal's head; with Ed25519 the
checker needs only the public key, which can be printed, pinned and handed out, while the
private key stays where drills are run. Signatures are 64 bytes, small enough to print.

The private key is a secret like the others (`drill.config.secret`): the environment
(`DRILLKIT_ANCHOR_KEY`, 32 bytes in URL-safe base64) or the OS keyring (`drillkit`,
`anchor_key`); `new_anchor_key` makes one. Never in a plan, never printed or logged.
A checker pins the public key with `DRILLKIT_ANCHOR_PUBLIC_KEY`; without it the key
printed in the report is used, and the result says so (a forger could print their own).
Without a private key, reports carry an unsigned head: still compared, not signed.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from drill.config import secret
from drill.errors import StoreError
from drill.store.chain import VerifyResult, canonical_json

if TYPE_CHECKING:  # cryptography loads only to make or check a signature (about 40 ms)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = [
    "ALGORITHM",
    "PUBLIC_KEY_ENV",
    "Anchor",
    "AnchorCheck",
    "anchor_from_report",
    "check_anchor",
    "configured_public_key",
    "key_id",
    "new_anchor_key",
    "sign_anchor",
]

ALGORITHM = "ed25519"
PUBLIC_KEY_ENV = "DRILLKIT_ANCHOR_PUBLIC_KEY"
"""A pinned public key (URL-safe base64 of its 32 bytes) to check reports against."""
_CONTEXT = "drillkit.chain-anchor.v1"


@dataclasses.dataclass(frozen=True, slots=True)
class Anchor:
    """A drill's chain head as a report states it, with its signature when signed."""

    drill_id: str
    event_count: int
    head_hash: str
    signature: str | None = None
    """Ed25519 over the head (URL-safe base64); None when no key was configured."""
    public_key: str | None = None
    """The key that made `signature` (URL-safe base64 of its 32 bytes)."""

    @property
    def key_id(self) -> str | None:
        return key_id(self.public_key) if self.public_key else None

    def message(self) -> bytes:
        """What is signed: the context and the head, as canonical JSON."""
        document = {
            "context": _CONTEXT,
            "drill_id": self.drill_id,
            "event_count": self.event_count,
            "head_hash": self.head_hash,
        }
        return canonical_json(document).encode("utf-8")


@dataclasses.dataclass(frozen=True, slots=True)
class AnchorCheck:
    """What `check_anchor` found: ok, or the first problem in words."""

    ok: bool
    problem: str | None = None
    first_bad_seq: int | None = None
    signature: str = "unsigned"
    """"pinned" (checked with a pinned key), "report-key" (with the key the report
    prints), "unsigned" (the report has no signature), or "bad"."""


def key_id(public_key: str) -> str:
    """A short fingerprint of a public key, to tell keys apart in a report."""
    return hashlib.sha256(public_key.encode("ascii", "replace")).hexdigest()[:16]


def new_anchor_key() -> tuple[str, str]:
    """A fresh (private, public) key pair, each as URL-safe base64 of its 32 bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return _b64(raw), _public_text(private)


def sign_anchor(
    drill_id: str, result: VerifyResult, *, private_key: str | None = None
) -> Anchor | None:
    """The anchor of a verified chain: signed with `private_key` or the configured key,
    unsigned when there is none; None when there is no sound head to anchor."""
    if not result.ok or result.head_hash is None:
        return None
    anchor = Anchor(drill_id, result.count, result.head_hash)
    if private_key is None:
        stored = secret("anchor_key")
        private_key = stored.get_secret_value() if stored is not None else None
    if not private_key:
        return anchor
    key = _private(private_key)
    if key is None:
        # A key that is set but unusable must not pass silently; the value is never shown.
        raise StoreError(
            "DRILLKIT_ANCHOR_KEY (or the keyring's drillkit/anchor_key) is not an Ed25519 "
            "private key: 32 bytes in URL-safe base64 were expected. Replace it, or unset "
            "it to make reports with an unsigned head.",
            title="Anchor key is not usable",
        )
    signature = _b64(key.sign(anchor.message()))
    return dataclasses.replace(anchor, signature=signature, public_key=_public_text(key))


def anchor_from_report(report: Mapping[str, Any]) -> Anchor:
    """The anchor in a report's JSON (`render_json`); ValueError saying what is missing."""
    try:
        drill_id = report["drill"]["drill_id"]
        integrity = report["integrity"]
    except (KeyError, TypeError):
        raise ValueError("it is not a drillkit report (no drill id or integrity section)") from None
    if not isinstance(integrity, Mapping):
        raise ValueError("its integrity section is not an object")
    count, head = integrity.get("event_count"), integrity.get("head_hash")
    if not isinstance(drill_id, str) or not isinstance(count, int) or isinstance(count, bool):
        raise ValueError("its integrity section has no event count")
    if not isinstance(head, str) or not head:
        raise ValueError("its integrity section has no head hash")
    signature = integrity.get("signature")
    public_key = integrity.get("public_key")
    return Anchor(
        drill_id,
        count,
        head,
        signature if isinstance(signature, str) else None,
        public_key if isinstance(public_key, str) else None,
    )


def check_anchor(anchor: Anchor, result: VerifyResult, head_at_anchor: str | None) -> AnchorCheck:
    """Check the anchor's signature, then that the journal still holds its head.

    `result` is the journal's own verification; `head_at_anchor` is the stored hash of
    event `anchor.event_count` (None when the journal has fewer events).
    """
    how, problem = _check_signature(anchor)
    if problem is not None:
        return AnchorCheck(False, problem, None, how)
    n = anchor.event_count
    if result.count < n:
        return AnchorCheck(
            False,
            f"the journal holds {result.count} events but the report was made at event {n}: "
            f"events {result.count + 1}-{n} were removed from the end",
            result.count + 1,
            how,
        )
    if head_at_anchor != anchor.head_hash:
        return AnchorCheck(
            False,
            f"event {n}'s hash is not the head the report states ({anchor.head_hash[:16]}…): "
            "the journal was rewritten up to there (every hash recomputed) or replaced",
            n,
            how,
        )
    return AnchorCheck(True, None, None, how)


def _check_signature(anchor: Anchor) -> tuple[str, str | None]:
    if anchor.signature is None:
        return "unsigned", None
    pinned = os.environ.get(PUBLIC_KEY_ENV) or _configured_public_key()
    how = "pinned" if pinned else "report-key"
    key_text = pinned or anchor.public_key
    if not key_text:
        return "bad", "the report's head is signed but names no key, and none is pinned"
    public = _public(key_text)
    if public is None:
        return "bad", "the public key to check the report with is not an Ed25519 key"
    signature = _unb64(anchor.signature)
    if signature is None:
        return "bad", "the report's head signature is not base64"
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(signature, anchor.message())
    except InvalidSignature:
        whose = "the pinned key" if pinned else "the key the report names"
        return "bad", (
            f"the report's head signature does not verify with {whose} (key {key_id(key_text)}): "
            "the report's head was edited, or it was signed by another key"
        )
    return how, None


def _configured_public_key() -> str | None:
    """The public half of this machine's own anchor key, if it has one."""
    stored = secret("anchor_key")
    key = _private(stored.get_secret_value()) if stored is not None else None
    return _public_text(key) if key is not None else None


def configured_public_key() -> tuple[bool, str | None]:
    """(whether an anchor key is configured, its public key when it is a usable one)."""
    stored = secret("anchor_key")
    if stored is None:
        return False, None
    key = _private(stored.get_secret_value())
    return True, (_public_text(key) if key is not None else None)


def _private(text: str) -> Ed25519PrivateKey | None:
    raw = _unb64(text)
    if raw is None or len(raw) != 32:
        return None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(raw)


def _public(text: str) -> Ed25519PublicKey | None:
    raw = _unb64(text)
    if raw is None or len(raw) != 32:
        return None
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(raw)


def _public_text(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        return None
