"""Booking references and the secret tokens of cancellation and offer links.

A booking reference is a short reference of :mod:`core.references` (8 characters, no
look-alikes, read out over the phone).  The reference names a booking but gives no power over
it: changing a booking needs the reference *and* the link token (256 random bits), whose SHA-256
hash is all the database keeps, so a copy of the database cannot be used to cancel anyone's
place.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from core.references import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    format_reference,
    new_reference,
    normalise_reference,
)

TOKEN_BYTES: Final = 32


def new_booking_reference() -> str:
    """Return a fresh random booking reference such as ``"K7QW3MZA"`` (8 characters, 40 bits)."""
    return new_reference()


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
