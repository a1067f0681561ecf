"""The development CA: a platform root, signing certificates per institution and
court, and a timestamp authority, generated with ``cryptography``.

Layout under ``settings.pki_dir`` (the same names production uses in
``settings.agreement_signing_dir``)::

    root.cert.pem  root.key.pem          the platform root (published at /api/v1/pki/root.pem)
    tsa.key.pem    tsa.chain.pem         the local RFC 3161 authority (EKU timeStamping)
    <code>.key.pem <code>.chain.pem      one per institution / court: leaf first, then the root

Keys are written once and never replaced; files are written atomically under
an exclusive lock on ``.lock``, so several processes may call
``ensure_dev_pki``/``ensure_org_key`` at once. Development keys are not
encrypted (they are demo keys); production keys are never generated here.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from odr.settings import Settings

# Fixed validity windows keep tests (ManualClock in 2026) and demo data
# independent of the wall clock. Development only.
NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
ROOT_NOT_AFTER = datetime(2050, 1, 1, tzinfo=UTC)
LEAF_NOT_AFTER = datetime(2045, 1, 1, tzinfo=UTC)

ROOT_CERT = "root.cert.pem"
ROOT_KEY = "root.key.pem"
TSA_NAME = "tsa"
ROOT_COMMON_NAME = "odr Platform Root CA (development)"


class OrgKind(StrEnum):
    INSTITUTION = "institution"
    COURT = "court"
    TSA = "tsa"


class KeyAlgorithm(StrEnum):
    """Key types the development CA makes. SM2 (GB/T 32918) can join here: the
    signer wraps whatever pyHanko ``Signer`` matches the key."""

    ECDSA_P256 = "ecdsa-p256"
    RSA_2048 = "rsa-2048"


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

# The institutions' and courts' keys: ECDSA P-256 is quick to generate and to sign
# with. The TSA is RSA: pyHanko's local authority signs with RSA only.
DEV_SIGNING_ALGORITHM = KeyAlgorithm.ECDSA_P256


@dataclass(frozen=True)
class OrgIdentity:
    kind: OrgKind
    code: str
    name: str


def _new_key(algorithm: KeyAlgorithm) -> PrivateKey:
    if algorithm is KeyAlgorithm.RSA_2048:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "odr online mediation platform"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _make_root() -> tuple[PrivateKey, x509.Certificate]:
    key = _new_key(KeyAlgorithm.ECDSA_P256)
    name = _name(ROOT_COMMON_NAME, "root")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE).not_valid_after(ROOT_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _issue(root_key: PrivateKey, root: x509.Certificate, org: OrgIdentity,
           algorithm: KeyAlgorithm) -> tuple[PrivateKey, x509.Certificate]:
    key = _new_key(algorithm)
    tsa = org.kind is OrgKind.TSA
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(org.name, f"{org.kind.value}:{org.code}"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE).not_valid_after(LEAF_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=not tsa, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            root_key.public_key()), critical=False)
    )
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return key, builder.sign(root_key, hashes.SHA256())


def _load_root(directory: Path) -> tuple[PrivateKey, x509.Certificate]:
    key = serialization.load_pem_private_key((directory / ROOT_KEY).read_bytes(), password=None)
    assert isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey))
    return key, x509.load_pem_x509_certificate((directory / ROOT_CERT).read_bytes())


def _ensure_root(directory: Path) -> tuple[PrivateKey, x509.Certificate]:
    if not (directory / ROOT_CERT).exists():
        key, cert = _make_root()
        _write_atomic(directory / ROOT_KEY, _key_pem(key), private=True)
        _write_atomic(directory / ROOT_CERT, _cert_pem(cert))
    return _load_root(directory)


def key_path(directory: Path, code: str) -> Path:
    return directory / f"{code}.key.pem"


def chain_path(directory: Path, code: str) -> Path:
    return directory / f"{code}.chain.pem"


def _ensure_leaf(directory: Path, root_key: PrivateKey, root: x509.Certificate,
                 org: OrgIdentity, algorithm: KeyAlgorithm) -> bool:
    if chain_path(directory, org.code).exists():
        return False
    key, cert = _issue(root_key, root, org, algorithm)
    _write_atomic(key_path(directory, org.code), _key_pem(key), private=True)
    _write_atomic(chain_path(directory, org.code), _cert_pem(cert, root))
    return True


def _check_code(code: str) -> str:
    if not code or not all(ch.isalnum() or ch in "-_" for ch in code):
        raise ValueError(f"not an organisation code usable as a file name: {code!r}")
    return code


def ensure_org_key(settings: Settings, org: OrgIdentity) -> Path:
    """The development key + chain of one institution or court, made if missing.

    Refuses when production keys are configured (``agreement_signing_dir``):
    those are never generated.
    """
    if settings.agreement_signing_dir is not None:
        raise LookupError(
            f"no signing key for {org.kind.value} {org.code} in {settings.agreement_signing_dir}"
        )
    directory = settings.pki_dir
    _check_code(org.code)
    if chain_path(directory, org.code).exists():
        return directory
    with _locked(directory):
        root_key, root = _ensure_root(directory)
        algorithm = KeyAlgorithm.RSA_2048 if org.kind is OrgKind.TSA else DEV_SIGNING_ALGORITHM
        _ensure_leaf(directory, root_key, root, org, algorithm)
    return directory


def seeded_identities() -> list[OrgIdentity]:
    """The seeded courts and institutions (odr/orgs/data), as the dev CA names them."""
    from odr.orgs.seed import load_seed

    seed = load_seed()
    return [
        *(OrgIdentity(OrgKind.INSTITUTION, i["code"], i["name_zh"]) for i in seed["institutions"]),
        *(OrgIdentity(OrgKind.COURT, c["code"], c["name_zh"]) for c in seed["courts"]),
    ]


TSA_IDENTITY = OrgIdentity(OrgKind.TSA, TSA_NAME, "odr Timestamp Authority (development)")


def ensure_dev_pki(settings: Settings, orgs: list[OrgIdentity] | None = None) -> list[str]:
    """Make the development root, the TSA and a signing certificate for every seeded
    court and institution (or ``orgs``) that has none yet. Returns the codes made.

    Does nothing when production keys are configured (``agreement_signing_dir``).
    """
    if settings.agreement_signing_dir is not None:
        return []
    directory = settings.pki_dir
    made: list[str] = []
    with _locked(directory):
        root_key, root = _ensure_root(directory)
        if _ensure_leaf(directory, root_key, root, TSA_IDENTITY, KeyAlgorithm.RSA_2048):
            made.append(TSA_NAME)
        for org in seeded_identities() if orgs is None else orgs:
            if _ensure_leaf(directory, root_key, root, org, DEV_SIGNING_ALGORITHM):
                made.append(org.code)
    return made
