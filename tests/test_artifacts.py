"""Contract tests for the content-addressed artifact store, on a local directory and on S3 (moto)."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlsteward.artifacts
from mlsteward.artifacts import ArtifactRef, ArtifactStore
from mlsteward.errors import ArtifactCorrupted, InvalidInput, NotFound
from s3_server import moto_endpoint, s3_bucket  # noqa: F401  (pytest fixtures)

MiB = 1 << 20
SRC = Path(mlsteward.artifacts.__file__).resolve().parents[1]  # the code under test
PREFIX = "some/prefix"


class Backend:
    """A store plus direct access to its objects, bypassing the store."""

    def __init__(self, kind: str, store: ArtifactStore, root: Path | None = None, bucket=None):
        self.kind, self.store, self.root, self.bucket = kind, store, root, bucket

    def key(self, digest: str) -> str:
        hex_ = digest.split(":", 1)[1]
        return f"sha256/{hex_[:2]}/{hex_}"

    def objects(self) -> list[str]:
        """Keys of every object under ``sha256/``, relative to the store root."""
        if self.kind == "local":
            base = self.root / "sha256"
            return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())
        return sorted(k[len(PREFIX) + 1:] for k in self.bucket.keys(f"{PREFIX}/sha256/"))

    def overwrite(self, digest: str, data: bytes) -> None:
        if self.kind == "local":
            (self.root / self.key(digest)).write_bytes(data)
        else:
            self.bucket.client.put_object(
                Bucket=self.bucket.name, Key=f"{PREFIX}/{self.key(digest)}", Body=data
            )


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path) -> Backend:
    if request.param == "local":
        root = tmp_path / "store"
        return Backend("local", ArtifactStore(str(root)), root=root)
    bucket = request.getfixturevalue("s3_bucket")
    store = ArtifactStore(f"s3://{bucket.name}/{PREFIX}", storage_options=bucket.storage_options)
    return Backend("s3", store, bucket=bucket)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class ShortReads(io.RawIOBase):
    """A non-seekable stream that returns at most ``step`` bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._pos, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._step if n is None or n < 0 else min(n, self._step)
        out = self._data[self._pos:self._pos + n]
        self._pos += len(out)
        return out


# -- round trips ------------------------------------------------------------------------------
def test_put_get_bytes_round_trip(backend):
    data = b"hello artifacts\n" * 1000
    ref = backend.store.put_bytes(data)
    assert isinstance(ref, ArtifactRef)
    assert ref.digest == sha(data)
    assert ref.size == len(data)
    assert backend.store.exists(ref.digest)
    assert backend.store.get_bytes(ref.digest) == data
    assert backend.objects() == [backend.key(ref.digest)]


def test_ref_uri_names_the_stored_object(backend):
    ref = backend.store.put_bytes(b"x")
    hex_ = ref.digest.split(":")[1]
    if backend.kind == "local":
        assert ref.uri == f"file://{backend.root}/sha256/{hex_[:2]}/{hex_}"
        assert Path(ref.uri[len("file://"):]).read_bytes() == b"x"
    else:
        assert ref.uri == f"s3://{backend.bucket.name}/{PREFIX}/sha256/{hex_[:2]}/{hex_}"


def test_empty_content(backend):
    ref = backend.store.put_bytes(b"")
    assert ref.digest == sha(b"") and ref.size == 0
    assert backend.store.get_bytes(ref.digest) == b""


def test_put_file_multi_mib_round_trip(backend, tmp_path):
    # 20 MiB + a bit: on S3 this is above the single-PUT threshold, so a multipart upload is used.
    data = os.urandom(20 * MiB + 12345)
    src = tmp_path / "model.bin"
    src.write_bytes(data)
    ref = backend.store.put_file(src)
    assert ref.digest == sha(data) and ref.size == len(data)
    dest = tmp_path / "out" / "copy.bin"
    dest.parent.mkdir()
    backend.store.get_file(ref.digest, dest)
    assert dest.read_bytes() == data
    assert sorted(os.listdir(dest.parent)) == ["copy.bin"]  # no temp file left behind
    with backend.store.open(ref.digest) as f:
        assert f.read() == data


def test_put_stream_round_trip(backend):
    data = os.urandom(3 * MiB + 7)
    ref = backend.store.put_stream(ShortReads(data, step=100_000))
    assert ref.digest == sha(data) and ref.size == len(data)
    ref2 = backend.store.put_stream(io.BytesIO(data))
    assert ref2 == ref
    assert backend.store.get_bytes(ref.digest) == data


def test_open_reads_in_chunks_and_lines(backend):
    data = b"".join(b"line %d\n" % i for i in range(50_000))
    ref = backend.store.put_bytes(data)
    with backend.store.open(ref.digest) as f:
        chunks = []
        while chunk := f.read(65536):
            chunks.append(chunk)
    assert b"".join(chunks) == data
    with backend.store.open(ref.digest) as f:
        assert list(f) == data.splitlines(keepends=True)
    with backend.store.open(ref.digest) as f:  # a partial read, then close: no error
        assert f.read(10) == data[:10]


def test_dedup_stores_once_and_does_not_rewrite(backend, tmp_path):
    data = b"same content" * 100
    ref1 = backend.store.put_bytes(data)
    src = tmp_path / "same.bin"
    src.write_bytes(data)
    ref2 = backend.store.put_file(src)
    ref3 = backend.store.put_stream(io.BytesIO(data))
    assert ref1 == ref2 == ref3
    assert backend.objects() == [backend.key(ref1.digest)]
    # An existing object of the right size is left untouched by a second put: tamper with it
    # (same length), put again, and the tampered bytes are still there.
    backend.overwrite(ref1.digest, b"X" * len(data))
    assert backend.store.put_bytes(data) == ref1
    with pytest.raises(ArtifactCorrupted):
        backend.store.get_bytes(ref1.digest)


def test_torn_object_of_the_wrong_size_is_rewritten(tmp_path):
    store = ArtifactStore(str(tmp_path / "store"))
    data = os.urandom(10_000)
    ref = store.put_bytes(data)
    Path(ref.uri[len("file://"):]).write_bytes(data[:100])  # what a power cut can leave
    assert store.put_bytes(data) == ref
    assert store.get_bytes(ref.digest) == data


def test_put_files_stores_a_batch(tmp_path):
    store = ArtifactStore(str(tmp_path / "store"))
    paths = []
    for i in range(5):
        paths.append(tmp_path / f"f{i}")
        paths[-1].write_bytes(b"%d" % (i % 3))
    refs = store.put_files(paths)
    assert [r.digest for r in refs] == ["sha256:" + hashlib.sha256(b"%d" % (i % 3)).hexdigest() for i in range(5)]
    assert len(list((tmp_path / "store" / "sha256").rglob("*/*"))) == 3
    assert not list((tmp_path / "store" / "tmp").iterdir())


def test_digest_matches_independent_hashlib(backend):
    for data in (b"a", b"\x00" * 4096, os.urandom(MiB + 1)):
        assert backend.store.put_bytes(data).digest == "sha256:" + hashlib.sha256(data).hexdigest()


# -- tampering --------------------------------------------------------------------------------
@pytest.mark.parametrize("replacement", ["same_length", "truncated", "extended"])
def test_tampering_is_detected(backend, tmp_path, replacement):
    data = os.urandom(2 * MiB + 3)
    ref = backend.store.put_bytes(data)
    bad = {
        "same_length": data[:-1] + bytes([data[-1] ^ 1]),
        "truncated": data[: MiB],
        "extended": data + b"!",
    }[replacement]
    backend.overwrite(ref.digest, bad)

    with pytest.raises(ArtifactCorrupted) as exc:
        backend.store.get_bytes(ref.digest)
    msg = str(exc.value)
    assert ref.digest in msg and ref.uri in msg and hashlib.sha256(bad).hexdigest() in msg
    assert "backup" in msg and "log" in msg

    dest = tmp_path / "dest.bin"
    with pytest.raises(ArtifactCorrupted):
        backend.store.get_file(ref.digest, dest)
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".steward-get-")] == []

    with pytest.raises(ArtifactCorrupted):
        with backend.store.open(ref.digest) as f:
            f.read()
    with pytest.raises(ArtifactCorrupted):
        with backend.store.open(ref.digest) as f:
            while f.read(100_000):
                pass


# -- errors -----------------------------------------------------------------------------------
def test_unknown_digest_is_not_found(backend, tmp_path):
    digest = sha(b"never stored")
    assert not backend.store.exists(digest)
    for call in (
        lambda: backend.store.open(digest),
        lambda: backend.store.get_bytes(digest),
        lambda: backend.store.get_file(digest, tmp_path / "x"),
    ):
        with pytest.raises(NotFound) as exc:
            call()
        assert digest in str(exc.value)
        assert ("s3://" if backend.kind == "s3" else "file://") in str(exc.value)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "bad",
    ["", "sha256:", "sha256:abc", "md5:" + "0" * 32, "0" * 64, "sha256:" + "G" * 64,
     "SHA256:" + "0" * 64, "sha256:" + "0" * 65, "sha256:" + "0" * 64 + "\n",
     "sha256:../../" + "0" * 58],
)
def test_malformed_digest_is_invalid_input(backend, bad):
    for call in (backend.store.exists, backend.store.open, backend.store.get_bytes):
        with pytest.raises(InvalidInput):
            call(bad)


# -- construction -----------------------------------------------------------------------------
def test_file_url_and_from_url(tmp_path):
    a = ArtifactStore.from_url(f"file://{tmp_path}/s")
    ref = a.put_bytes(b"abc")
    b = ArtifactStore(str(tmp_path / "s"))
    assert b.get_bytes(ref.digest) == b"abc"
    assert (tmp_path / "s" / "sha256" / ref.digest[7:9] / ref.digest[7:]).is_file()


def test_s3_endpoint_from_environment(s3_bucket, monkeypatch):
    monkeypatch.setenv("STEWARD_S3_ENDPOINT_URL", s3_bucket.endpoint_url)
    store = ArtifactStore.from_url(f"s3://{s3_bucket.name}/{PREFIX}")
    ref = store.put_bytes(b"via env")
    assert store.get_bytes(ref.digest) == b"via env"
    assert s3_bucket.keys() == [f"{PREFIX}/sha256/{ref.digest[7:9]}/{ref.digest[7:]}"]


def test_second_store_sees_writes_of_the_first(backend):
    """No stale caches: a new object is visible at once to another store on the same root."""
    other = ArtifactStore(backend.store.url, getattr(backend.bucket, "storage_options", None))
    digest = sha(b"late")
    assert not other.exists(digest)
    backend.store.put_bytes(b"late")
    assert other.exists(digest)
    assert other.get_bytes(digest) == b"late"


def test_cleanup_temp_keeps_fresh_files(tmp_path):
    store = ArtifactStore(str(tmp_path))
    store.put_bytes(b"x")
    assert os.listdir(tmp_path / "tmp") == []  # successful writes leave nothing behind
    fresh = tmp_path / "tmp" / "mlsteward-put-fresh"
    old = tmp_path / "tmp" / "mlsteward-put-old"
    fresh.write_bytes(b"1")
    old.write_bytes(b"2")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.cleanup_temp() == 1
    assert fresh.exists() and not old.exists()


# -- property ---------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=5000))
def test_round_trip_property(tmp_path, data):
    store = ArtifactStore(str(tmp_path / "prop"))
    ref = store.put_bytes(data)
    assert ref.digest == sha(data) and ref.size == len(data)
    assert store.get_bytes(ref.digest) == data
    with store.open(ref.digest) as f:
        assert f.read() == data


# -- crash safety -----------------------------------------------------------------------------
CONTENT_SRC = textwrap.dedent(
    """
    import hashlib
    N_CHUNKS = 50  # 50 MiB in all

    def chunk(i):
        return hashlib.sha256(i.to_bytes(8, "big")).digest() * (2**20 // 32)
    """
)

WRITER_SCRIPT = CONTENT_SRC + textwrap.dedent(
    """
    import sys, time
    from mlsteward.artifacts import ArtifactStore

    url, marker = sys.argv[1], sys.argv[2]
    opts = {"client_kwargs": {"endpoint_url": sys.argv[3]}, "key": "testing", "secret": "testing"} \\
        if len(sys.argv) > 3 else None

    class Slow:
        def __init__(self):
            self.i = 0
        def read(self, n=-1):
            if self.i >= N_CHUNKS:
                return b""
            if self.i == 3:  # the store has written 3 MiB of this put by now
                open(marker, "w").close()
            time.sleep(0.1)
            self.i += 1
            return chunk(self.i - 1)

    ArtifactStore(url, opts).put_stream(Slow())
    print("FINISHED", flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["local", "s3"])
def test_sigkill_mid_write_leaves_nothing_visible(kind, tmp_path, request, monkeypatch):
    ns: dict = {}
    exec(CONTENT_SRC, ns)
    content = b"".join(ns["chunk"](i) for i in range(ns["N_CHUNKS"]))
    digest = sha(content)

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    spool = tmp_path / "spool"  # where the writer's temp files go (S3 spools locally)
    spool.mkdir()
    env["TMPDIR"] = str(spool)
    root = tmp_path / "store"
    marker = tmp_path / "marker"
    if kind == "local":
        store = ArtifactStore(str(root))
        args = [store.url, str(marker)]
        temp_dir = root / "tmp"
    else:
        bucket = request.getfixturevalue("s3_bucket")
        store = ArtifactStore(f"s3://{bucket.name}/{PREFIX}", bucket.storage_options)
        args = [store.url, str(marker), bucket.endpoint_url]
        temp_dir = spool
        monkeypatch.setattr(tempfile, "tempdir", str(spool))  # this process's cleanup_temp

    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            if proc.poll() is not None:
                pytest.fail(f"writer exited early: {proc.communicate()}")
            assert time.monotonic() < deadline, "writer never started writing"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert b"FINISHED" not in out

    # Nothing visible at any final path.
    if kind == "local":
        assert not (root / "sha256").exists() or [p for p in (root / "sha256").rglob("*")
                                                   if p.is_file()] == []
    else:
        assert bucket.keys(f"{PREFIX}/sha256/") == []
    assert not store.exists(digest)
    with pytest.raises(NotFound):
        store.get_bytes(digest)

    # The partial temp file is left behind, and cleanup_temp removes it.
    leftovers = [p for p in temp_dir.iterdir() if p.name.startswith("mlsteward-put-")]
    assert len(leftovers) == 1 and 0 < leftovers[0].stat().st_size < len(content)
    assert store.cleanup_temp(older_than_seconds=0) == 1
    assert [p for p in temp_dir.iterdir() if p.name.startswith("mlsteward-put-")] == []

    # A fresh put of the whole content works and verifies.
    ref = store.put_bytes(content)
    assert ref.digest == digest and ref.size == len(content)
    assert store.get_bytes(digest) == content


def test_verified_path_checks_the_content_first(tmp_path):
    store = ArtifactStore(str(tmp_path / "store"))
    ref = store.put_bytes(b"parquet bytes")
    path = store.verified_path(ref.digest)
    assert Path(path).read_bytes() == b"parquet bytes"
    Path(path).write_bytes(b"parquet bytez")
    with pytest.raises(ArtifactCorrupted):
        store.verified_path(ref.digest)
