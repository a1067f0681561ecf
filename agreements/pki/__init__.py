"""The platform's public-key infrastructure for signed PDFs.

``ca`` makes the development CA (root, per-organisation signing certificates,
the timestamp authority) under ``settings.pki_dir``; ``signers`` hands out a
``PdfSigner`` per institution or court (development keys, or production keys
from ``settings.agreement_signing_dir``); ``tsa`` is the local RFC 3161
authority; ``routes`` publishes the root and serves the local TSA over HTTP.
"""
