"""Password hashing (argon2id) and the staff password policy.

The policy follows the GOV.UK "Passwords" pattern and OWASP ASVS: a minimum length, no maximum
that a person would meet, no composition rules, and no password that is common or guessable
from the service's own words.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

MAX_LENGTH = 1000  # only to stop absurd inputs; no person meets it
CONTEXT_WORDS = ("digital", "champion", "inclusion", "planner", "council", "borough", "password")


def hasher(profile: str = "default") -> PasswordHasher:
    """The argon2id hasher: RFC 9106 low-memory profile, or the cheapest one for tests."""
    if profile == "cheapest":
        return PasswordHasher.from_parameters(CHEAPEST)
    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def hash_password(password: str, *, profile: str = "default") -> str:
    """Hash ``password`` with argon2id."""
    return hasher(profile).hash(password)


def verify_password(stored_hash: str | None, password: str, *, profile: str = "default") -> bool:
    """True when ``password`` matches ``stored_hash``; never raises for a wrong or missing hash."""
    if not stored_hash:
        # Spend the same effort as a real check so unknown accounts are not revealed by timing.
        hasher(profile).hash(password)
        return False
    try:
        return hasher(profile).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, *, profile: str = "default") -> bool:
    """True when ``stored_hash`` was made with weaker parameters than the current profile."""
    return hasher(profile).check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(
    password: str, *, min_length: int, email: str = "", council: str = ""
) -> str | None:
    """Return what is wrong with a new password, in GOV.UK wording, or ``None`` if it is fine."""
    if not password:
        return "Enter a password"
    if len(password) < min_length:
        return f"Password must be {min_length} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.strip("0123456789!") in _common_passwords():
        return "Password is too common: choose one that is harder to guess, for example three random words"
    words = list(CONTEXT_WORDS) + [part for part in council.lower().split() if len(part) > 3]
    local_part = email.lower().split("@")[0]
    if len(local_part) > 3:
        words.append(local_part)
    squashed = "".join(ch for ch in lowered if ch.isalpha())
    remainder = squashed
    for word in sorted(words, key=len, reverse=True):
        remainder = remainder.replace(word, "")
    if remainder != squashed and len(remainder) < 6:
        return "Password must not be based on your email address or the name of the service"
    return None
