"""A real S3 API for the tests: moto's standalone server on 127.0.0.1, reached through the
standard ``AWS_ENDPOINT_URL`` with dummy credentials, as a user reaches a bucket (no mocked fsspec).

The server is a separate process, so subprocesses and Ray workers started by the tests reach it too.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> bool:
    """True once 127.0.0.1:``port`` accepts a connection; False if ``process`` exits or ``timeout`` passes."""
    deadline = time.time() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                return False
            time.sleep(0.2)


@contextlib.contextmanager
def start_moto(environment: dict | None = None):
    """A moto S3 server on a free port of 127.0.0.1 (``environment``: moto's own settings); its URL."""
    port = _free_port()
    # The server logs every request: to a file, since a pipe nobody reads would fill and stall it.
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(environment or {})},
    )
    try:
        if not wait_for_port(port, server, timeout=60):
            log.seek(0)
            pytest.fail(f"moto server did not start: {log.read().decode(errors='replace')[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.kill()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def s3_endpoint():
    """The endpoint URL of a moto S3 server of this test session; the environment points at it."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install 'webcorpus[dev]')")
    pytest.importorskip("s3fs", reason="s3fs is not installed (pip install 'webcorpus[s3]')")
    saved = {key: os.environ.get(key) for key in (*CREDENTIALS, "AWS_ENDPOINT_URL")}
    with start_moto() as endpoint:
        os.environ.update(CREDENTIALS, AWS_ENDPOINT_URL=endpoint)
        try:
            yield endpoint
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture
def bucket(s3_endpoint) -> str:
    """A new, empty bucket on the test server: its ``s3://`` URL."""
    import boto3

    name = f"webcorpus-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()  # listings cached by an earlier test's instance
    return f"s3://{name}"
