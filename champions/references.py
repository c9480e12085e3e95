"""Booking references and the secret tokens of cancellation and offer links.

A reference is 8 characters from a 32-character alphabet with no look-alikes (no 0/O, no 1/I),
so it can be read out over the phone: 32^8 = 2^40 (about 1.1 million million) values, drawn with
``secrets``.  The reference names a booking but gives no power over it: changing a booking needs
the reference *and* the link token (256 random bits), whose SHA-256 hash is all the database
keeps, so a copy of the database cannot be used to cancel anyone's place.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Final

REFERENCE_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH: Final = 8
TOKEN_BYTES: Final = 32

_SEPARATORS = re.compile(r"[\s\-]+")
_REFERENCE = re.compile(f"^[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")


def new_booking_reference() -> str:
    """Return a fresh random booking reference such as ``"K7QW3MZA"`` (8 characters, 40 bits)."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference(text: str | None) -> str | None:
    """Return the reference typed by a person in stored form, or ``None`` if it cannot be one.

    Case, spaces and hyphens are ignored, so ``"k7qw 3mza"`` and ``"K7QW-3MZA"`` both work.
    """
    compact = _SEPARATORS.sub("", text or "").upper()
    return compact if _REFERENCE.match(compact) else None


def format_reference(reference: str) -> str:
    """Return the reference in two groups of four for reading out, for example ``"K7QW 3MZA"``."""
    return f"{reference[:4]} {reference[4:]}"


def new_link_token() -> str:
    """Return a new secret for a cancellation or offer link (URL-safe text, 256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest stored in place of a link token.

    A plain hash is enough (no salt or slow hash) because the token is 256 random bits, which
    cannot be guessed or looked up in a table.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, stored_hash: str | None) -> bool:
    """Say whether ``token`` is the secret behind ``stored_hash``, in constant time."""
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(hash_token(token), stored_hash)


__all__ = [
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "format_reference",
    "hash_token",
    "new_booking_reference",
    "new_link_token",
    "normalise_reference",
    "token_matches",
]
