"""Postcode normalisation."""

from __future__ import annotations

import pytest

from core.postcodes import normalise_postcode, postcode_district, postcode_sector


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("tw3 1es", "TW3 1ES"),
        ("TW31ES", "TW3 1ES"),
        (" le15  6hp ", "LE15 6HP"),
        ("EC1A1BB", "EC1A 1BB"),
    ],
)
def test_valid_postcodes_are_normalised(given: str, expected: str) -> None:
    assert normalise_postcode(given) == expected


@pytest.mark.parametrize("given", ["", "hello", "12345", "TW3 1E", "TW3 1ESX"])
def test_invalid_postcodes_give_none(given: str) -> None:
    assert normalise_postcode(given) is None


def test_sector_and_district() -> None:
    assert postcode_sector("le156hp") == "LE15 6"
    assert postcode_district("le156hp") == "LE15"
