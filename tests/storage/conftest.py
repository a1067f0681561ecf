"""The blob-store fixture runs every store test twice: on local disk and on a real S3 API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from odr.settings import Settings
from odr.storage.base import BlobStore
from odr.storage.factory import build_store
from odr.storage.local import LocalBlobStore
from odr.storage.s3 import S3BlobStore
from tests.support import s3 as s3_support
from tests.support.s3 import S3Server

Leftovers = Callable[[], Awaitable[set[str]]]


def store_settings(tmp_path: Path, s3: S3Server | None = None, **extra: object) -> Settings:
    """Settings for a store test; with ``s3`` they point at a fresh bucket on that server."""
    values: dict[str, object] = {"environment": "test", "var_dir": tmp_path / "var"}
    if s3 is not None:
        values.update(
            storage_url=f"s3://{s3.new_bucket()}/blobs",
            s3_endpoint_url=s3.endpoint_url,
            s3_region=s3_support.REGION,
            s3_access_key=s3_support.ACCESS_KEY,
            s3_secret_key=s3_support.SECRET_KEY,
        )
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    server = request.getfixturevalue("s3_server") if request.param == "s3" else None
    built = build_store(store_settings(tmp_path, server))
    yield built
    await built.close()


def _local_files(root: Path) -> set[str]:
    if not root.exists():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}


def _s3_leftovers(store: S3BlobStore) -> set[str]:
    client = store._s3()
    keys = {
        obj["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
        for obj in page.get("Contents", [])
    }
    uploads = client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", [])
    return keys | {f"unfinished-upload:{u['Key']}" for u in uploads}


async def everything_stored(store: BlobStore) -> set[str]:
    """Every file or object the store has, finished or not, relative to its root.

    Local temporary files show as ``.incoming/...``; unfinished S3 multipart
    uploads as ``unfinished-upload:...``.
    """
    if isinstance(store, LocalBlobStore):
        return await asyncio.to_thread(_local_files, store.root)
    assert isinstance(store, S3BlobStore)
    keys = await asyncio.to_thread(_s3_leftovers, store)
    prefix = f"{store.prefix}/"
    assert all(k.split(":")[-1].startswith(prefix) for k in keys), keys
    return {k.replace(prefix, "", 1) for k in keys}


@pytest.fixture
def leftovers(store: BlobStore) -> Leftovers:
    return lambda: everything_stored(store)
