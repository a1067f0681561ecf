"""The one place that decides where blobs live, from ``ODR_STORAGE_URL`` alone.

- empty: files under ``var/files`` (the embedded default)
- ``file:///srv/odr/files``: files under that directory
- ``s3://bucket/prefix``: an S3-compatible store, with ``ODR_S3_ENDPOINT_URL``,
  ``ODR_S3_REGION``, ``ODR_S3_ACCESS_KEY`` and ``ODR_S3_SECRET_KEY``
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from odr.settings import Settings
from odr.storage.base import BlobStore
from odr.storage.local import LocalBlobStore


def build_store(settings: Settings) -> BlobStore:
    url = settings.storage_url.strip()
    if not url:
        return LocalBlobStore(settings.files_dir)
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not parts.path:
            raise ValueError(f"ODR_STORAGE_URL {url!r} names no directory")
        return LocalBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        from odr.storage.s3 import S3BlobStore  # boto3 is imported only when S3 is used

        return S3BlobStore(
            bucket=parts.netloc,
            prefix=unquote(parts.path),
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region or None,
            access_key=settings.s3_access_key.get_secret_value() or None,
            secret_key=settings.s3_secret_key.get_secret_value() or None,
            spool_dir=settings.var_dir / "spool",
        )
    raise ValueError(
        f"ODR_STORAGE_URL {url!r} is not supported: leave it empty, or use file:///dir "
        "or s3://bucket/prefix"
    )
