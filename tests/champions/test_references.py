"""Booking references can be read out and cannot be guessed; link tokens are stored hashed."""

from __future__ import annotations

import math
from collections import Counter

from champions.references import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    format_reference,
    hash_token,
    new_booking_reference,
    new_link_token,
    normalise_reference,
    token_matches,
)


def test_alphabet_has_32_characters_and_no_look_alikes() -> None:
    assert len(set(REFERENCE_ALPHABET)) == len(REFERENCE_ALPHABET) == 32
    assert not set("01IO") & set(REFERENCE_ALPHABET)


def test_reference_carries_40_bits_of_entropy() -> None:
    assert REFERENCE_LENGTH * math.log2(len(REFERENCE_ALPHABET)) == 40


def test_thousand_references_are_unique_well_formed_and_spread_over_the_alphabet() -> None:
    references = [new_booking_reference() for _ in range(1000)]
    assert len(set(references)) == 1000
    assert all(len(ref) == 8 and set(ref) <= set(REFERENCE_ALPHABET) for ref in references)
    counts = Counter("".join(references))
    # 8,000 draws over 32 symbols: 250 expected each; a broken generator would be far off.
    assert set(counts) == set(REFERENCE_ALPHABET)
    assert max(counts.values()) < 350
    assert min(counts.values()) > 160
    # Every position varies too (a fixed prefix would make references guessable).
    assert all(len({ref[i] for ref in references}) == 32 for i in range(8))


def test_typed_references_are_normalised() -> None:
    assert normalise_reference(" k7qw-3mza ") == "K7QW3MZA"
    assert normalise_reference("K7QW 3MZA") == "K7QW3MZA"
    assert normalise_reference("K7QW3MZ") is None
    assert normalise_reference("K7QW3MZ0") is None  # zero is not in the alphabet
    assert format_reference("K7QW3MZA") == "K7QW 3MZA"


def test_link_tokens_are_long_random_and_stored_only_as_hashes() -> None:
    token = new_link_token()
    assert len(token) >= 43
    assert token != new_link_token()
    stored = hash_token(token)
    assert len(stored) == 64 and token not in stored
    assert token_matches(token, stored)
    assert not token_matches(new_link_token(), stored)
    assert not token_matches("", stored)
    assert not token_matches(token, None)
