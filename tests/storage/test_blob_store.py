"""One behaviour suite for every blob store: local disk and a real S3 API (moto server)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from odr.storage.base import BlobNotFound, BlobStore, BlobTooLarge, blob_key
from odr.storage.local import LocalBlobStore
from odr.storage.s3 import S3BlobStore
from tests.storage.conftest import Leftovers

MiB = 1024 * 1024


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([c async for c in chunks])


async def test_round_trip_names_the_blob_by_its_sha256(store: BlobStore, leftovers: Leftovers) -> None:
    data = "调解协议 v1\n".encode() * 1000
    sha = hashlib.sha256(data).hexdigest()

    ref = await store.put_bytes(data)

    assert ref == (sha, len(data))
    assert await store.exists(sha)
    assert await store.size(sha) == len(data)
    assert await store.get_bytes(sha) == data
    assert await collect(await store.open_stream(sha, chunk_size=4096)) == data
    assert await leftovers() == {f"{sha[:2]}/{sha}"}


async def test_same_content_twice_is_stored_once(store: BlobStore, leftovers: Leftovers) -> None:
    data = b"evidence: bank statement" * 100
    first = await store.put_bytes(data)
    if isinstance(store, LocalBlobStore):
        inode = os.stat(store.path_of(first.sha256)).st_ino

    second = await store.put_bytes(data)
    concurrent = await asyncio.gather(*(store.put_bytes(data) for _ in range(3)))

    assert second == first and all(r == first for r in concurrent)
    assert await leftovers() == {blob_key(first.sha256)}
    if isinstance(store, LocalBlobStore):  # the first file was kept, not rewritten
        assert os.stat(store.path_of(first.sha256)).st_ino == inode


async def test_missing_blob_is_not_found_before_streaming_starts(store: BlobStore) -> None:
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert not await store.exists(sha)
    with pytest.raises(BlobNotFound):
        await store.get_bytes(sha)
    with pytest.raises(BlobNotFound):
        await store.open_stream(sha)
    with pytest.raises(BlobNotFound):
        await store.size(sha)


async def test_delete_removes_the_blob_and_is_idempotent(store: BlobStore, leftovers: Leftovers) -> None:
    ref = await store.put_bytes(b"withdrawn evidence")
    await store.delete(ref.sha256)
    await store.delete(ref.sha256)
    assert not await store.exists(ref.sha256)
    assert await leftovers() == set()


async def test_names_that_are_not_sha256_are_refused(store: BlobStore) -> None:
    for bad in ("../../etc/passwd", "A" * 64, "ab/cd", ""):
        with pytest.raises(ValueError):
            await store.exists(bad)
        with pytest.raises(ValueError):
            await store.get_bytes(bad)


async def test_size_cap_stops_the_stream_and_leaves_nothing(
    store: BlobStore, leftovers: Leftovers
) -> None:
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"x" * MiB

    with pytest.raises(BlobTooLarge) as refused:
        await store.put_stream(endless(), max_bytes=3 * MiB)

    assert refused.value.status == 413
    assert pulled == 4  # refused at the chunk that crossed the cap, not at the end
    assert await leftovers() == set()


async def test_a_source_that_fails_mid_stream_leaves_nothing(
    store: BlobStore, leftovers: Leftovers
) -> None:
    async def dropped_connection() -> AsyncIterator[bytes]:
        yield b"partial upload " * 100_000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put_stream(dropped_connection())
    assert await leftovers() == set()


async def test_exactly_the_cap_is_accepted(store: BlobStore) -> None:
    ref = await store.put_bytes(b"12345", max_bytes=5)
    assert ref.size == 5
    with pytest.raises(BlobTooLarge):
        await store.put_bytes(b"123456", max_bytes=5)


def _pattern_chunks(total: int, chunk: int, hasher: hashlib._Hash) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        sent = 0
        n = 0
        while sent < total:
            piece = (n.to_bytes(8, "big") * (chunk // 8))[: total - sent]
            hasher.update(piece)
            sent += len(piece)
            n += 1
            yield piece

    return gen()


async def test_twenty_megabytes_stream_through_without_being_held_in_memory(
    store: BlobStore,
) -> None:
    total = 20 * MiB
    expected = hashlib.sha256()
    tracemalloc.start()
    try:
        ref = await store.put_stream(_pattern_chunks(total, 64 * 1024, expected))
        _, peak_write = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read_back = hashlib.sha256()
        size = 0
        async for chunk in await store.open_stream(ref.sha256, chunk_size=MiB):
            read_back.update(chunk)
            size += len(chunk)
        _, peak_read = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ref == (expected.hexdigest(), total)
    assert (read_back.hexdigest(), size) == (ref.sha256, total)
    if isinstance(store, LocalBlobStore):
        assert peak_write < 4 * MiB, peak_write
        assert peak_read < 4 * MiB, peak_read
    else:
        assert isinstance(store, S3BlobStore)
        # Large bodies go up as a multipart upload (the ETag counts the parts).
        head = store._s3().head_object(Bucket=store.bucket, Key=store.key_of(ref.sha256))
        assert head["ETag"].strip('"').endswith("-3")
        assert peak_write < 40 * MiB, peak_write  # at most two 8 MiB parts in flight
