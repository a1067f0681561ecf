"""Blobs in an S3-compatible object store (``ODR_STORAGE_URL=s3://bucket/prefix``).

A blob's key is only known once its last byte has been hashed, so a write is
spooled (in memory up to ``SPOOL_IN_MEMORY``, then to a temporary file on
local disk) while hashing, and only a complete, size-checked body is
uploaded: boto3's transfer manager sends it as a multipart upload above
``MULTIPART_THRESHOLD``. A refused or failed write therefore never leaves an
object or an unfinished multipart upload behind.

boto3 is synchronous: every call runs in a worker thread. The client is made
on first use, so constructing the store (and importing this module) does no IO.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import IO, Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from odr.storage.base import (
    CHUNK_SIZE,
    BlobNotFound,
    BlobRef,
    BlobStore,
    blob_key,
    copy_hashing,
)

SPOOL_IN_MEMORY = 1024 * 1024
MULTIPART_THRESHOLD = 8 * 1024 * 1024
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


def _is_missing(err: ClientError) -> bool:
    return str(err.response.get("Error", {}).get("Code")) in _MISSING


class S3BlobStore(BlobStore):
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        spool_dir: Path | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
    ) -> None:
        if not bucket:
            raise ValueError("an S3 storage URL needs a bucket: s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "aws_access_key_id": access_key or None,
            "aws_secret_access_key": secret_key or None,
            # Path-style addressing works with every S3-compatible server (MinIO, Ceph, moto).
            "config": Config(
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                retries={"max_attempts": 5, "mode": "standard"},
            ),
        }
        self.spool_dir = spool_dir
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_threshold,
            max_concurrency=2,  # bounded memory: each thread holds one part
        )
        self._client: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def key_of(self, sha256: str) -> str:
        key = blob_key(sha256)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = boto3.session.Session().client("s3", **self._client_args)
            return self._client

    async def _call(self, method: str, **kwargs: Any) -> Any:
        def run() -> Any:
            return getattr(self._s3(), method)(**kwargs)

        return await asyncio.to_thread(run)

    # ---- writing ---------------------------------------------------------
    def _spool(self) -> IO[bytes]:
        if self.spool_dir is not None:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
        spool_dir = str(self.spool_dir) if self.spool_dir is not None else None
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=spool_dir)

    def _upload(self, f: IO[bytes], key: str) -> None:
        client = self._s3()
        try:
            client.head_object(Bucket=self.bucket, Key=key)
            return  # same content already stored
        except ClientError as err:
            if not _is_missing(err):
                raise
        f.seek(0)
        client.upload_fileobj(f, self.bucket, key, Config=self.transfer)

    async def put_stream(
        self, chunks: AsyncIterable[bytes], *, max_bytes: int | None = None
    ) -> BlobRef:
        f = await asyncio.to_thread(self._spool)
        try:
            ref = await copy_hashing(chunks, f, max_bytes=max_bytes)
            await asyncio.to_thread(self._upload, f, self.key_of(ref.sha256))
        finally:
            f.close()
        return ref

    # ---- reading ---------------------------------------------------------
    async def _get(self, sha256: str) -> Any:
        try:
            return await self._call("get_object", Bucket=self.bucket, Key=self.key_of(sha256))
        except ClientError as err:
            if _is_missing(err):
                raise BlobNotFound(sha256) from None
            raise

    async def get_bytes(self, sha256: str) -> bytes:
        body = (await self._get(sha256))["Body"]
        try:
            return await asyncio.to_thread(body.read)  # type: ignore[no-any-return]
        finally:
            body.close()

    async def open_stream(
        self, sha256: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        body = (await self._get(sha256))["Body"]
        return self._read_chunks(body, chunk_size)

    @staticmethod
    async def _read_chunks(body: Any, chunk_size: int) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(body.read, chunk_size):
                yield chunk
        finally:
            body.close()

    async def _head(self, sha256: str) -> dict[str, Any] | None:
        try:
            head = await self._call("head_object", Bucket=self.bucket, Key=self.key_of(sha256))
        except ClientError as err:
            if _is_missing(err):
                return None
            raise
        return head  # type: ignore[no-any-return]

    async def exists(self, sha256: str) -> bool:
        return await self._head(sha256) is not None

    async def size(self, sha256: str) -> int:
        head = await self._head(sha256)
        if head is None:
            raise BlobNotFound(sha256)
        return int(head["ContentLength"])

    async def delete(self, sha256: str) -> None:
        await self._call("delete_object", Bucket=self.bucket, Key=self.key_of(sha256))

    async def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)
