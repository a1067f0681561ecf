"""Where blobs live is decided by ODR_STORAGE_URL alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from odr.storage.factory import build_store
from odr.storage.local import LocalBlobStore
from odr.storage.s3 import S3BlobStore
from tests.storage.conftest import store_settings


def test_empty_url_means_files_under_var(tmp_path: Path) -> None:
    settings = store_settings(tmp_path)
    store = build_store(settings)
    assert isinstance(store, LocalBlobStore)
    assert store.root == settings.files_dir


def test_file_url_names_the_directory(tmp_path: Path) -> None:
    store = build_store(store_settings(tmp_path, storage_url=f"file://{tmp_path}/blobs"))
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"


def test_s3_url_names_bucket_and_prefix_and_connects_to_nothing_yet(tmp_path: Path) -> None:
    # Port 9 (discard) has no S3 server: building the store must not try to reach it.
    store = build_store(store_settings(
        tmp_path, storage_url="s3://odr-evidence/prod/files/", s3_endpoint_url="http://127.0.0.1:9"
    ))
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("odr-evidence", "prod/files")
    assert store.key_of("ab" + "0" * 62) == "prod/files/ab/ab" + "0" * 62


@pytest.mark.parametrize("url", ["ftp://files.example/odr", "s3:///no-bucket", "file://"])
def test_unsupported_urls_are_refused_at_start(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError):
        build_store(store_settings(tmp_path, storage_url=url))
