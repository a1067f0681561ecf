"""Query passwords (L3): random, human-typable, stored as a keyed hash.

Why a keyed hash (HMAC-SHA256 with the look-up key) and not argon2: the
password is random (8 characters from a 31-letter alphabet, about 40 bits),
not chosen by a person, so a slow hash buys little; the key lives outside the
database, so a stolen table alone reveals nothing; online guessing is
throttled (``odr.cases.progress.throttle``). A keyed hash costs microseconds,
so accepting a case with many parties and answering the public query stay
fast, and an unknown case number is answered in the same time as a wrong
password. Each hash is bound to its party (the party id is hashed with it),
so equal passwords never show as equal hashes.
"""

from __future__ import annotations

import hmac
import secrets

from odr.crypto import FieldCrypto

# No 0/O, 1/I/L: read aloud or copied from an SMS without ambiguity. Letters are upper case
# and the comparison ignores case, spaces and dashes.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
CONTEXT = "case_party.query_password"
SCHEME = "hmac1$"


def new_query_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(password: str) -> str:
    """``ABCD-EFGH``: the form an SMS shows (the dash is optional when typing it back)."""
    return f"{password[:4]}-{password[4:]}"


def normalise(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch not in " -\t")


def hash_query_password(crypto: FieldCrypto, party_id: int, password: str) -> str:
    digest = crypto.lookup_hash(f"{party_id}:{normalise(password)}", context=CONTEXT)
    return SCHEME + digest


def query_password_matches(
    crypto: FieldCrypto, party_id: int, stored: str | None, typed: str
) -> bool:
    """Constant-time comparison; a party without a password never matches."""
    expected = hash_query_password(crypto, party_id, typed)
    return stored is not None and hmac.compare_digest(stored, expected)
