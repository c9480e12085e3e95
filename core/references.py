"""Short references that residents read out over the phone or type back in.

A reference is 8 characters from a 32-character alphabet with no look-alikes (no 0/O, no 1/I),
drawn with ``secrets``: 32^8 = 2^40 (about 1.1 million million) values, so two in a council's
lifetime of bookings or requests coinciding is vanishingly unlikely (a unique constraint refuses
it anyway).  A reference names a record but gives no power over it on its own.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

REFERENCE_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH: Final = 8

_SEPARATORS = re.compile(r"[\s\-]+")
_REFERENCE = re.compile(f"^[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")


def new_reference() -> str:
    """Return a fresh random reference such as ``"K7QW3MZA"`` (8 characters, 40 bits)."""
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
