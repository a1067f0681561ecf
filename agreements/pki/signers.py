"""Who signs a PDF: a ``PdfSigner`` per institution (agreements) or court
(rulings, mediation statements), loaded once per process.

Development: keys come from the development CA under ``settings.pki_dir``,
made on first use for an organisation that has none. Production: when
``settings.agreement_signing_dir`` is set, ``<code>.key.pem`` (encrypted with
``settings.agreement_signing_key_password``, or not) and ``<code>.chain.pem``
(leaf first, then intermediates, then the root) are read from there, and the
root from ``root.cert.pem``; nothing is ever generated.

The algorithm is the key's: pyHanko's ``SimpleSigner`` signs with RSA or
ECDSA. A national-standard SM2/SM3 seal plugs in as another pyHanko
``Signer`` behind the same ``PdfSigner``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy.ext.asyncio import AsyncSession

from agreements.pki.ca import (
    ROOT_CERT,
    TSA_IDENTITY,
    OrgIdentity,
    OrgKind,
    chain_path,
    ensure_dev_pki,
    ensure_org_key,
    key_path,
)
from odr.errors import NotFound
from odr.orgs.models import Court, Institution
from odr.services import Services
from odr.settings import Settings


@dataclass(frozen=True)
class PdfSigner:
    """An organisation's signing identity: pyHanko's signer plus what we show about it."""

    kind: OrgKind
    code: str
    name: str  # the certificate's common name (the organisation's name)
    algorithm: str  # "rsa" | "ecdsa" (later "sm2")
    signer: Signer
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]  # leaf first

    @property
    def field_name(self) -> str:
        """The signature field's name in the PDF."""
        return f"odr-{self.kind.value}-{self.code}"


@dataclass(frozen=True)
class KeyMaterial:
    key: asn1_keys.PrivateKeyInfo
    chain: tuple[asn1_x509.Certificate, ...]  # leaf first
    algorithm: str


_cache: dict[tuple[str, str], KeyMaterial] = {}
_cache_lock = threading.Lock()


def _as_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _load_material(directory: Path, code: str, password: bytes | None) -> KeyMaterial:
    cache_key = (str(directory.resolve()), code)
    with _cache_lock:
        found = _cache.get(cache_key)
        if found is not None:
            return found
        pem = key_path(directory, code).read_bytes()
        try:
            key = serialization.load_pem_private_key(pem, password=password or None)
        except TypeError:  # a password is configured but this key file is not encrypted
            key = serialization.load_pem_private_key(pem, password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            algorithm = "rsa"
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            algorithm = "ecdsa"
        else:  # pragma: no cover - an operator's misconfiguration
            raise ValueError(f"{code}: unsupported key type {type(key).__name__}")
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        chain = tuple(
            _as_asn1(c) for c in x509.load_pem_x509_certificates(
                chain_path(directory, code).read_bytes())
        )
        if not chain:
            raise ValueError(f"{chain_path(directory, code)} holds no certificate")
        material = KeyMaterial(asn1_keys.PrivateKeyInfo.load(der), chain, algorithm)
        _cache[cache_key] = material
        return material


def forget_loaded_keys() -> None:
    """Drop the per-process cache (tests that swap key directories)."""
    with _cache_lock:
        _cache.clear()


def _production_dir(settings: Settings) -> Path | None:
    return settings.agreement_signing_dir


def _password(settings: Settings) -> bytes | None:
    value = settings.agreement_signing_key_password.get_secret_value()
    return value.encode() if value else None


def key_material(settings: Settings, org: OrgIdentity) -> KeyMaterial:
    """The key and chain of ``org``: production files, or the development CA's (made if missing)."""
    production = _production_dir(settings)
    if production is not None:
        if not chain_path(production, org.code).exists():
            raise LookupError(
                f"no signing key for {org.kind.value} {org.code}: put {org.code}.key.pem and "
                f"{org.code}.chain.pem in {production}"
            )
        return _load_material(production, org.code, _password(settings))
    if not chain_path(settings.pki_dir, org.code).exists():
        if org.kind is OrgKind.TSA:
            ensure_dev_pki(settings, orgs=[])
        else:
            ensure_org_key(settings, org)
    return _load_material(settings.pki_dir, org.code, None)


def signer_for(settings: Settings, org: OrgIdentity) -> PdfSigner:
    material = key_material(settings, org)
    signer = SimpleSigner(
        signing_cert=material.chain[0],
        signing_key=material.key,
        cert_registry=SimpleCertificateStore.from_certs(material.chain),
    )
    common_name = material.chain[0].subject.native.get("common_name", org.name)
    return PdfSigner(
        kind=org.kind, code=org.code, name=str(common_name), algorithm=material.algorithm,
        signer=signer, certificate=material.chain[0], chain=material.chain,
    )


async def _org(services: Services, session: AsyncSession | None,
               model: type[Institution] | type[Court], org_id: int) -> Institution | Court | None:
    if session is not None:
        return await session.get(model, org_id)
    async with services.db.reader() as reader:
        return await reader.session.get(model, org_id)


async def signer_for_institution(
    services: Services, institution_id: int, *, session: AsyncSession | None = None
) -> PdfSigner:
    """The institution's seal signer (agreements). Pass ``session`` inside a unit of work."""
    row = await _org(services, session, Institution, institution_id)
    if row is None:
        raise NotFound("no such institution", code="institution_not_found")
    return signer_for(services.settings, OrgIdentity(OrgKind.INSTITUTION, row.code, row.name_zh))


async def signer_for_court(
    services: Services, court_id: int, *, session: AsyncSession | None = None
) -> PdfSigner:
    """The court's signer (rulings, mediation statements). Pass ``session`` inside a unit of work."""
    row = await _org(services, session, Court, court_id)
    if row is None:
        raise NotFound("no such court", code="court_not_found")
    return signer_for(services.settings, OrgIdentity(OrgKind.COURT, row.code, row.name_zh))


def tsa_material(settings: Settings) -> KeyMaterial:
    """The local timestamp authority's key and chain (production: ``tsa.*.pem`` there)."""
    return key_material(settings, TSA_IDENTITY)


def root_certificate_pem(settings: Settings) -> bytes:
    """The platform root every signature chains to (what /api/v1/pki/root.pem publishes)."""
    production = _production_dir(settings)
    if production is not None:
        return (production / ROOT_CERT).read_bytes()
    path = settings.pki_dir / ROOT_CERT
    if not path.exists():
        ensure_dev_pki(settings, orgs=[])
    return path.read_bytes()


def trust_roots(settings: Settings) -> list[asn1_x509.Certificate]:
    """The only roots verification trusts: the platform's (and, in production, the roots
    of an external timestamp authority listed in ``tsa-roots.pem``, if that file exists)."""
    roots = [_as_asn1(c) for c in x509.load_pem_x509_certificates(root_certificate_pem(settings))]
    production = _production_dir(settings)
    extra = production / "tsa-roots.pem" if production is not None else None
    if extra is not None and extra.exists():
        roots += [_as_asn1(c) for c in x509.load_pem_x509_certificates(extra.read_bytes())]
    return roots
