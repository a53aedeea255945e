"""Shared S3 test fixtures: a real moto server on loopback, one fresh bucket per test.

Import the fixtures into a test module to use them::

    from s3_server import moto_endpoint, s3_bucket  # noqa: F401
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class S3Bucket:
    """A bucket on the moto server, with what is needed to reach it."""

    name: str
    endpoint_url: str
    client: Any  # boto3 S3 client, for inspecting or tampering with objects directly

    @property
    def storage_options(self) -> dict:
        return {
            "client_kwargs": {"endpoint_url": self.endpoint_url},
            "key": "testing",
            "secret": "testing",
        }

    def keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (fresh listing, no cache)."""
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        ):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return out


@pytest.fixture(scope="session")
def moto_endpoint():
    """Start a moto S3 server on 127.0.0.1 (random free port); yield its endpoint URL."""
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    mp = pytest.MonkeyPatch()
    for name, value in DUMMY_CREDENTIALS.items():
        mp.setenv(name, value)
    mp.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        mp.undo()


@pytest.fixture
def s3_bucket(moto_endpoint) -> S3Bucket:
    """A new, empty bucket for this test."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    name = f"test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return S3Bucket(name=name, endpoint_url=moto_endpoint, client=client)


__all__ = ["DUMMY_CREDENTIALS", "S3Bucket", "moto_endpoint", "s3_bucket"]
