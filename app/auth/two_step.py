"""Two-step sign-in for staff: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

Codes are 6 digits (about 20 bits, what ASVS 6.5 asks of a second factor), change every 30
seconds, and are accepted one step either side of now for clock drift: so a code lives at most
90 seconds.  Each code works once: the time step of the last accepted code is stored and a code
from that step or before is refused.  Wrong codes are limited by the sign-in rate limit and by a
count kept with the half-finished sign-in (reference S-23).
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
"""Steps either side of now that are still accepted (phones' clocks drift)."""


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226 recommends at least 128)."""
    return pyotp.random_base32()


def time_step(now: datetime) -> int:
    """The 30-second step ``now`` falls in (seconds since the Unix epoch // 30)."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The 6-digit code of ``secret`` for time step ``step``."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def normalise_code(text: str | None) -> str | None:
    """The code as typed, without spaces or dashes, or ``None`` when it is not 6 digits."""
    compact = "".join(ch for ch in (text or "") if ch not in " -")
    return compact if len(compact) == DIGITS and compact.isascii() and compact.isdigit() else None


def matching_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, or ``None`` when it is wrong, expired or already used.

    Every candidate step is compared in constant time, so timing does not tell which was close.
    """
    current = time_step(now)
    found: int | None = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), code) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_code_svg(uri: str, *, title: str) -> str:
    """The QR code of ``uri`` as inline SVG markup (no image file, no script: CSP-safe), an
    image whose accessible name is ``title``."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, title=title, dark="#0b0c0c")
    return str(svg).replace("<svg ", '<svg role="img" ', 1)


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
