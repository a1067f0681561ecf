"""Field encryption at rest (AES-256-GCM) and keyed look-up hashes (HMAC-SHA256).

Identity document numbers are stored encrypted; a keyed hash lets the database
find an account by document number without holding the number in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from odr.settings import Settings

_VERSION = b"\x01"


def _derive(secret: str, label: str) -> bytes:
    return hashlib.sha256(f"{label}:{secret}".encode()).digest()


class FieldCrypto:
    def __init__(self, encryption_key: bytes, lookup_key: bytes) -> None:
        if len(encryption_key) != 32:
            raise ValueError("field encryption key must be 32 bytes")
        self._aead = AESGCM(encryption_key)
        self._lookup_key = lookup_key

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCrypto:
        secret = settings.secret_key.get_secret_value()
        enc = settings.field_encryption_key.get_secret_value()
        look = settings.lookup_hash_key.get_secret_value()
        return cls(
            base64.b64decode(enc) if enc else _derive(secret, "field-encryption"),
            look.encode() if look else _derive(secret, "lookup-hash"),
        )

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        """Encrypt ``plaintext``; ``context`` (e.g. "users.id_doc") binds it to its column."""
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())

    def decrypt(self, blob: bytes, *, context: str) -> str:
        if blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        nonce, ct = blob[1:13], blob[13:]
        return self._aead.decrypt(nonce, ct, context.encode()).decode()

    def lookup_hash(self, value: str, *, context: str) -> str:
        normalized = value.strip().upper()
        return hmac.new(self._lookup_key, f"{context}:{normalized}".encode(), hashlib.sha256).hexdigest()
