"""UK postcode helpers (format only; no look-ups, nothing leaves the machine)."""

from __future__ import annotations

import re

_POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2})$")


def normalise_postcode(text: str) -> str | None:
    """Return the postcode in upper case with one space before the inward code, or ``None``.

    ``"tw3 1es"`` and ``"TW31ES"`` both become ``"TW3 1ES"``; text that is not a UK postcode
    gives ``None``.
    """
    compact = re.sub(r"\s+", "", text or "").upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_sector(postcode: str) -> str | None:
    """Return the postcode sector (``"TW3 1"``) of a valid postcode, or ``None``."""
    normal = normalise_postcode(postcode)
    return None if normal is None else normal[:-2]


def postcode_district(postcode: str) -> str | None:
    """Return the outward code (``"TW3"``) of a valid postcode, or ``None``."""
    normal = normalise_postcode(postcode)
    return None if normal is None else normal.split(" ")[0]
