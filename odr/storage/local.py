"""Blobs as files under one directory (the embedded default: ``var/files``).

A write goes to a temporary file in ``<root>/.incoming`` (same file system,
so the final rename is atomic), is fsynced, and is then renamed to
``<root>/ab/abcdef…``; the directory is fsynced too, so a crash leaves either
the whole blob or none of it. A leftover in ``.incoming`` is never visible as
a blob and may be deleted at any time. File IO runs in worker threads so the
event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from typing import IO

from odr.storage.base import (
    CHUNK_SIZE,
    BlobNotFound,
    BlobRef,
    BlobStore,
    blob_key,
    copy_hashing,
)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.incoming = self.root / ".incoming"

    def __repr__(self) -> str:
        return f"LocalBlobStore(root={str(self.root)!r})"

    def path_of(self, sha256: str) -> Path:
        return self.root / blob_key(sha256)

    # ---- writing ---------------------------------------------------------
    def _open_temp(self) -> tuple[IO[bytes], Path]:
        self.incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.incoming, prefix="put-", suffix=".part")
        return os.fdopen(fd, "wb"), Path(name)

    def _commit(self, f: IO[bytes], tmp: Path, sha256: str) -> None:
        f.flush()
        os.fsync(f.fileno())
        f.close()
        dest = self.path_of(sha256)
        if dest.exists():  # same content already stored: keep the old file
            tmp.unlink()
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)

    async def put_stream(
        self, chunks: AsyncIterable[bytes], *, max_bytes: int | None = None
    ) -> BlobRef:
        f, tmp = await asyncio.to_thread(self._open_temp)
        try:
            ref = await copy_hashing(chunks, f, max_bytes=max_bytes)
            await asyncio.to_thread(self._commit, f, tmp, ref.sha256)
        except BaseException:
            # Synchronous on purpose: it must also run when the task is cancelled.
            f.close()
            tmp.unlink(missing_ok=True)
            raise
        return ref

    # ---- reading ---------------------------------------------------------
    async def get_bytes(self, sha256: str) -> bytes:
        path = self.path_of(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    async def open_stream(
        self, sha256: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        path = self.path_of(sha256)
        if not await asyncio.to_thread(path.is_file):
            raise BlobNotFound(sha256)
        return self._read_chunks(path, chunk_size)

    @staticmethod
    async def _read_chunks(path: Path, chunk_size: int) -> AsyncIterator[bytes]:
        f = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def size(self, sha256: str) -> int:
        path = self.path_of(sha256)
        try:
            return (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self.path_of(sha256).unlink, True)
