"""The development CA that `odr seed-demo` makes: a root, a TSA (timeStamping only), and a
signing certificate for every seeded court and institution; nothing in production mode."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from agreements.pki.ca import ensure_dev_pki, seeded_identities
from odr.settings import Settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, environment="test",  # type: ignore[call-arg]
                    var_dir=tmp_path / "var", **values)


def test_dev_pki_has_a_root_a_tsa_and_a_signer_per_seeded_org(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    made = ensure_dev_pki(settings)
    codes = {org.code for org in seeded_identities()}
    assert set(made) == codes | {"tsa"}
    assert ensure_dev_pki(settings) == []  # idempotent: keys are never replaced
    pki = settings.pki_dir
    root = x509.load_pem_x509_certificate((pki / "root.cert.pem").read_bytes())
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for code in codes:
        leaf, issuer = x509.load_pem_x509_certificates((pki / f"{code}.chain.pem").read_bytes())
        assert issuer == root and leaf.issuer == root.subject
        leaf.verify_directly_issued_by(root)
        assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
        assert (pki / f"{code}.key.pem").stat().st_mode & 0o077 == 0  # private keys: owner only
    tsa = x509.load_pem_x509_certificates((pki / "tsa.chain.pem").read_bytes())[0]
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_nothing_is_generated_when_production_keys_are_configured(tmp_path: Path) -> None:
    settings = _settings(tmp_path, agreement_signing_dir=tmp_path / "keys")
    assert ensure_dev_pki(settings) == []
    assert not settings.pki_dir.exists()
