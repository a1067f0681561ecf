"""Query passwords are random, typable, and stored as a keyed hash bound to their party (L3)."""

from __future__ import annotations

from odr.cases.progress.passwords import (
    ALPHABET,
    LENGTH,
    hash_query_password,
    new_query_password,
    query_password_matches,
    shown,
)
from odr.crypto import FieldCrypto

CRYPTO = FieldCrypto(b"k" * 32, b"lookup-key")


def test_passwords_use_an_unambiguous_alphabet_L3() -> None:
    seen = {new_query_password() for _ in range(200)}
    assert len(seen) == 200
    for password in seen:
        assert len(password) == LENGTH and set(password) <= set(ALPHABET)
    assert not set("0O1IL") & set(ALPHABET)


def test_typing_ignores_case_spaces_and_the_dash_of_the_sms_L3() -> None:
    password = "ABCD2345"
    stored = hash_query_password(CRYPTO, 7, password)
    for typed in (password, shown(password), "abcd-2345", " abcd 2345 "):
        assert query_password_matches(CRYPTO, 7, stored, typed)
    assert not query_password_matches(CRYPTO, 7, stored, "ABCD2346")


def test_the_hash_is_keyed_and_bound_to_its_party_L3() -> None:
    stored = hash_query_password(CRYPTO, 7, "ABCD2345")
    assert "ABCD2345" not in stored
    assert hash_query_password(CRYPTO, 8, "ABCD2345") != stored
    other_key = FieldCrypto(b"k" * 32, b"another-key")
    assert not query_password_matches(other_key, 7, stored, "ABCD2345")
    assert not query_password_matches(CRYPTO, 7, None, "ABCD2345")
