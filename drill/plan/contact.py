"""Phone numbers and e-mail addresses as people write them, stored canonically.

Numbers are accepted the Japanese way (`095-829-1124`, full-width digits, `+81 …`) and
kept as E.164 (`+81958291124`). Japan reserves no fictional range, so the bundled sample
uses numbers that cannot be assigned to anyone: a local exchange never begins with 0
(`095-000-XXXX`) and a mobile subscriber number never begins with 0 (`090-00XX-XXXX`).
The second form is not valid to `phonenumbers`, so it is accepted only in a plan marked
`sample: true`; conversely a sample plan must use nothing else (see `is_fictional`).
"""

from __future__ import annotations

import functools
import re

from email_validator import EmailNotValidError, validate_email

# `phonenumbers` is imported where a number needs it, not here: the sample plan's numbers
# are all fictional, written, checked and shown without it, and importing it (58 modules,
# its metadata and matcher patterns) cost a simulated run of the sample a twentieth of its
# start-up.

__all__ = [
    "FICTIONAL_EMAIL_SUFFIX",
    "display_number",
    "is_fictional_address",
    "is_fictional_number",
    "is_mobile",
    "mask_digits",
    "mask_number",
    "normalise_address",
    "normalise_number",
]

FICTIONAL_EMAIL_SUFFIX = ".example"  # RFC 2606: reserved, never resolves
_FICTIONAL_MOBILE = re.compile(r"^\+81[789]00\d{7}$")  # 090-00XX-XXXX (and 070/080)
_FICTIONAL_FIXED = re.compile(r"^\+8195000\d{4}$")  # 095-000-XXXX
_NOT_DIGIT = re.compile(r"[^0-9]")


# A plan writes most numbers twice (a mobile's `voice` and its `sms`), and an office number
# once per person who shares it: each text is read once. The result depends on the text
# and the flag alone; a number that is refused is not kept, and says why each time.
@functools.lru_cache(maxsize=16_384)
def normalise_number(text: str, *, allow_fictional: bool = False) -> str:
    """E.164 for a number written any common way; ValueError says how to write it."""
    raw = str(text).strip()
    if allow_fictional:
        # ASCII needs no Unicode digit table (full-width digits do): a plan's many numbers.
        if raw.isascii():
            digits = _NOT_DIGIT.sub("", raw)
        else:
            import phonenumbers

            digits = phonenumbers.normalize_digits_only(raw)
        if raw.startswith("+81"):
            candidate = "+" + digits
        elif digits.startswith("0"):
            candidate = "+81" + digits[1:]
        else:
            candidate = ""
        if _FICTIONAL_MOBILE.match(candidate) or _FICTIONAL_FIXED.match(candidate):
            return candidate
    # The messages show the number masked: validation errors end up in terminals, logs
    # and tickets, and a number one digit off is still someone's number.
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, "JP")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            f"'{mask_digits(raw)}' is not a phone number ({exc._msg}); write it like 095-829-1124"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"'{mask_digits(raw)}' is not a valid phone number; check the digits "
            "(e.g. 095-829-1124, 090-1234-5678, +81 95 829 1124)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_number(e164: str) -> str:
    """The Japanese way of writing a number: `+81958291124` -> `095-829-1124`."""
    if _FICTIONAL_MOBILE.match(e164):
        national = "0" + e164[3:]
        return f"{national[:3]}-{national[3:7]}-{national[7:]}"
    if _FICTIONAL_FIXED.match(e164):
        national = "0" + e164[3:]
        return f"{national[:3]}-{national[3:6]}-{national[6:]}"
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, "JP")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 81:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_digits(text: str) -> str:
    """Any text with its digits masked but the first three and the last two, as
    `mask_number` does; for numbers that did not parse (`090-1234-567` -> `090-****-*67`)."""
    total = sum(ch.isdigit() for ch in text)
    out: list[str] = []
    seen = 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= 3 or seen > total - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_number(e164: str) -> str:
    """Masked for logs and circulated reports: `095-829-1124` -> `095-***-**24`."""
    return mask_digits(display_number(e164))


def is_mobile(e164: str) -> bool:
    """True for numbers that can receive SMS (mobile, or fictional mobile)."""
    if _FICTIONAL_MOBILE.match(e164):
        return True
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, "JP")
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def is_fictional_number(e164: str) -> bool:
    """True for the unassignable ranges the sample plan uses (see module docstring)."""
    return bool(_FICTIONAL_MOBILE.match(e164) or _FICTIONAL_FIXED.match(e164))


# RFC 5322 dot-atom in ASCII: what nearly every address's local part is, and what
# email_validator keeps exactly as written (it lower-cases only the domain).
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_MAX_LOCAL = 64  # octets, RFC 5321
_MAX_ADDRESS = 254  # octets, RFC 3696 errata (email_validator's limit)


def normalise_address(text: str) -> str:
    """A normalised e-mail address; ValueError says what is wrong.

    Checking a domain costs email_validator most of its time, and a plan's thousands of
    addresses share a few domains: an address whose local part is plain ASCII is checked
    as its domain (once per domain) plus that local part, which gives what the library
    gives; anything else goes to the library whole.
    """
    raw = str(text).strip()
    local, at, domain = raw.rpartition("@")
    if at and len(local) <= _MAX_LOCAL and _PLAIN_LOCAL.fullmatch(local):
        checked = _domain(domain)
        if checked is not None and len(local) + 1 + len(checked) <= _MAX_ADDRESS:
            return f"{local}@{checked}"
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"'{text}' is not a valid e-mail address: {exc}") from None


@functools.lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    """The normalised domain, or None when the library should explain what is wrong."""
    try:
        checked = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.ascii_domain if checked.ascii_domain == checked.domain else None


def is_fictional_address(address: str) -> bool:
    return address.lower().endswith(FICTIONAL_EMAIL_SUFFIX)
