"""A real S3 API server for tests: moto in server mode, as a subprocess on loopback.

The S3 blob store talks to it over HTTP exactly as it would to MinIO or AWS,
so signing, multipart uploads and error codes are exercised for real.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.servers import free_port, stop_process

ACCESS_KEY = "odr-test-access"
SECRET_KEY = "odr-test-secret"
REGION = "us-east-1"


def _moto_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "moto_server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("moto_server")
    if not found:
        raise RuntimeError("moto_server not found: install the test extra (moto[server])")
    return found


@dataclass
class S3Server:
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Any:
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def new_bucket(self) -> str:
        """A fresh, empty bucket, so tests never see each other's objects."""
        name = f"odr-test-{uuid.uuid4().hex[:16]}"
        client = self.client()
        try:
            client.create_bucket(Bucket=name)
        finally:
            client.close()
        return name

    def stop(self) -> None:
        stop_process(self.proc)


def start_s3(timeout: float = 30.0) -> S3Server:
    port = free_port()
    proc = subprocess.Popen(
        [_moto_server_binary(), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = S3Server(port=port, proc=proc)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{server.endpoint_url}/moto-api/", timeout=1):
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
