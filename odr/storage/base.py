"""The blob store interface: content-addressed bytes, local disk or S3 behind one ABC.

A blob's name is the SHA-256 of its content, stored under ``sha256[:2]/sha256``.
Writing the same content twice is a no-op, and a blob never changes once
written, so readers need no locks. Writes stream: the hash and the size are
computed while the chunks pass, a size cap stops the write mid-stream, and a
write that fails for any reason (too large, the source raised, the process
died) leaves nothing under a blob's name.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from typing import IO, Any, NamedTuple

from odr.errors import NotFound, PayloadTooLarge

CHUNK_SIZE = 1024 * 1024
# Chunks smaller than this are gathered before a write, so tiny network chunks
# do not cost one thread hop each.
WRITE_BUFFER = 256 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobRef(NamedTuple):
    """What a write produced: the content's SHA-256 (hex) and its size in bytes."""

    sha256: str
    size: int


class BlobTooLarge(PayloadTooLarge):
    """The content exceeded the size cap; nothing was kept."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            f"the file is larger than the limit of {max_bytes} bytes",
            details={"max_bytes": max_bytes},
        )
        self.max_bytes = max_bytes


class BlobNotFound(NotFound):
    def __init__(self, sha256: str) -> None:
        super().__init__("no such file", code="blob_not_found", details={"sha256": sha256})
        self.sha256 = sha256


def check_sha256(sha256: str) -> str:
    """Refuse anything but 64 lowercase hex digits, so a name can never walk a path."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def blob_key(sha256: str) -> str:
    """The relative location of a blob: ``ab/abcdef…`` (fan-out by the first byte)."""
    check_sha256(sha256)
    return f"{sha256[:2]}/{sha256}"


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _write(f: IO[bytes], hasher: Any, data: bytes) -> None:
    hasher.update(data)  # hashlib releases the GIL for large buffers
    f.write(data)


async def copy_hashing(
    chunks: AsyncIterable[bytes], f: IO[bytes], *, max_bytes: int | None
) -> BlobRef:
    """Write ``chunks`` to ``f`` (in threads) while hashing and counting.

    Raises ``BlobTooLarge`` as soon as the count passes ``max_bytes``, before
    the chunk that crossed it is written; the caller discards ``f``.
    """
    hasher = hashlib.sha256()
    size = 0
    pending = bytearray()
    async for chunk in chunks:
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BlobTooLarge(max_bytes)
        if not pending and len(chunk) >= WRITE_BUFFER:
            await asyncio.to_thread(_write, f, hasher, chunk)
            continue
        pending += chunk
        if len(pending) >= WRITE_BUFFER:
            data, pending = bytes(pending), bytearray()
            await asyncio.to_thread(_write, f, hasher, data)
    if pending:
        await asyncio.to_thread(_write, f, hasher, bytes(pending))
    return BlobRef(hasher.hexdigest(), size)


class BlobStore(ABC):
    """Content-addressed storage. Every method is async; blocking IO runs in threads."""

    async def put_bytes(self, data: bytes, *, max_bytes: int | None = None) -> BlobRef:
        return await self.put_stream(one_chunk(data), max_bytes=max_bytes)

    @abstractmethod
    async def put_stream(
        self, chunks: AsyncIterable[bytes], *, max_bytes: int | None = None
    ) -> BlobRef:
        """Store the concatenated chunks; raise ``BlobTooLarge`` past ``max_bytes``.

        If the iterable raises, its exception propagates and nothing is stored.
        """

    @abstractmethod
    async def get_bytes(self, sha256: str) -> bytes:
        """The whole blob in memory (small blobs only); ``BlobNotFound`` if absent."""

    @abstractmethod
    async def open_stream(
        self, sha256: str, *, chunk_size: int = CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        """Check the blob exists (``BlobNotFound`` now, not mid-stream) and return its chunks."""

    @abstractmethod
    async def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    async def delete(self, sha256: str) -> None:
        """Remove the blob; deleting an absent blob is not an error."""

    @abstractmethod
    async def size(self, sha256: str) -> int:
        """The blob's size in bytes; ``BlobNotFound`` if absent."""

    async def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release connections; the default store holds none."""
