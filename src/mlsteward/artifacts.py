"""Content-addressed artifact store over fsspec.

Objects live at ``<root>/sha256/<first 2 hex>/<hex>``. Writes are atomic: local writes go to a temp
file in ``<root>/tmp/`` and are renamed into place; remote (S3) writes spool the content to a local
temp file while hashing, then upload it to its final key in one PUT (or one multipart upload,
completed only at the end). Every read verifies the content against its digest.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import math
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO

import fsspec

from mlsteward.errors import ArtifactCorrupted, InvalidInput, NotFound

CHUNK = 1 << 20  # 1 MiB
_DIGEST_RE = re.compile(r"sha256:([0-9a-f]{64})")
_TMP_PREFIX = "mlsteward-put-"


@dataclass(frozen=True)
class ArtifactRef:
    """A stored artifact: ``digest`` ("sha256:<hex>"), ``size`` in bytes, full ``uri``."""

    digest: str
    size: int
    uri: str


def _hex(digest: str) -> str:
    m = _DIGEST_RE.fullmatch(digest) if isinstance(digest, str) else None
    if m is None:
        raise InvalidInput(
            f"malformed artifact digest {digest!r}: expected 'sha256:' followed by 64 lowercase "
            "hex characters"
        )
    return m.group(1)


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _hash_file(path: str) -> tuple[str, int]:
    """sha256 hex and size of a file, read into one reused 8 MiB buffer."""
    h, size = hashlib.sha256(), 0
    buffer = bytearray(8 * CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            h.update(view[:n])
            size += n
    return h.hexdigest(), size


def _copy_synced(source: str, target: str, failure: list) -> None:
    """Copy with the kernel (copy_file_range / sendfile) and fsync; errors go to ``failure``."""
    try:
        shutil.copyfile(source, target)
        with open(target, "rb") as f:
            os.fsync(f.fileno())
    except BaseException as exc:  # reported by the caller's thread
        failure.append(exc)


def _sync_file_system(path: str) -> None:
    """Flush the file system holding ``path`` (Linux syncfs; elsewhere everything, os.sync)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


class _VerifyingReader(io.RawIOBase):
    """Hashes what is read; raises ArtifactCorrupted at EOF if it does not match the digest."""

    def __init__(self, f: BinaryIO, hex_: str, uri: str) -> None:
        self._f, self._hex, self._uri = f, hex_, uri
        self._h = hashlib.sha256()
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._done:
            return 0
        n = self._f.readinto(b)
        if n:
            self._h.update(memoryview(b)[:n])
        elif len(b):
            actual = self._h.hexdigest()
            if actual != self._hex:
                raise ArtifactCorrupted(
                    f"artifact sha256:{self._hex} at {self._uri} is corrupted: its content hashes "
                    f"to sha256:{actual}. Restore the object from a backup, or delete it and "
                    "log the artifact again."
                )
            self._done = True
        return n or 0

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()


class ArtifactStore:
    """Content-addressed store rooted at a local path, ``file://`` URL or ``s3://bucket/prefix``."""

    def __init__(self, url: str, storage_options: dict | None = None) -> None:
        self.url = url
        self._made_dirs: set[str] = set()
        if "://" not in url or url.startswith("file://"):
            path = url[len("file://"):] if url.startswith("file://") else url
            self.fs = None
            self.root = os.path.abspath(os.path.expanduser(path))
            self._uri_root = "file://" + self.root
            return
        protocol = url.split("://", 1)[0]
        opts = dict(storage_options or {})
        endpoint = os.environ.get("STEWARD_S3_ENDPOINT_URL")
        if storage_options is None and endpoint and protocol in ("s3", "s3a"):
            opts["client_kwargs"] = {"endpoint_url": endpoint}
        # A store must see writes made by other processes: no cached instances or listings.
        opts.setdefault("skip_instance_cache", True)
        opts.setdefault("use_listings_cache", False)
        self.fs = fsspec.filesystem(protocol, **opts)
        self.root = self.fs._strip_protocol(url).rstrip("/")
        self._uri_root = f"{protocol}://{self.root}"

    @classmethod
    def from_url(cls, url: str, storage_options: dict | None = None) -> ArtifactStore:
        """Open the store at ``url``."""
        return cls(url, storage_options)

    def __repr__(self) -> str:
        return f"ArtifactStore({self._uri_root!r})"

    # -- paths -------------------------------------------------------------------------------
    def _rel(self, hex_: str) -> str:
        return f"sha256/{hex_[:2]}/{hex_}"

    def _path(self, hex_: str) -> str:
        return (os.path.join(self.root, *self._rel(hex_).split("/")) if self.fs is None
                else f"{self.root}/{self._rel(hex_)}")

    def _uri(self, hex_: str) -> str:
        return f"{self._uri_root}/{self._rel(hex_)}"

    def _tmp_dir(self) -> str:
        return os.path.join(self.root, "tmp") if self.fs is None else tempfile.gettempdir()

    # -- writing -----------------------------------------------------------------------------
    def put_bytes(self, data: bytes) -> ArtifactRef:
        """Store ``data``; return its ref."""
        return self.put_stream(io.BytesIO(data))

    def put_file(self, path: str | os.PathLike) -> ArtifactRef:
        """Store the content of the local file at ``path``.

        On a local store the kernel copies the file in a second thread while this one hashes it
        (measured: about 1.5x the time of hashing alone); the copy is kept only if the content is
        not stored yet and the source did not change meanwhile."""
        if self.fs is not None:
            with open(path, "rb") as f:
                return self.put_stream(f)
        path = os.fspath(path)
        before = os.stat(path)
        tmp = self._new_temp()
        failure: list[BaseException] = []
        copier = threading.Thread(target=_copy_synced, args=(path, tmp, failure), daemon=True)
        copier.start()
        try:
            hex_, size = _hash_file(path)
            copier.join()
            if failure:
                raise failure[0]
            after = os.stat(path)
            if size != before.st_size or (before.st_mtime_ns, before.st_ino, before.st_size) != (
                    after.st_mtime_ns, after.st_ino, after.st_size):
                raise InvalidInput(f"{path} changed while it was being stored: store it again once it "
                                   "is complete")
            if not self._stored(hex_, size):
                self._install(tmp, hex_, sync=True)
            return ArtifactRef(digest="sha256:" + hex_, size=size, uri=self._uri(hex_))
        finally:
            copier.join()
            if os.path.exists(tmp):
                os.unlink(tmp)

    def put_files(self, paths: list[str | os.PathLike]) -> list[ArtifactRef]:
        """Store many files (a folder dataset). Each is written to a temporary name and renamed
        into place as in ``put_file``; small files are read whole, and the file system is synced
        once for the batch instead of once per file (measured 20x faster on 4 KiB files). Call it
        before recording the batch anywhere, so nothing refers to a file not yet durable."""
        if self.fs is not None:
            return [self.put_file(p) for p in paths]
        refs = []
        for path in paths:
            with open(path, "rb") as f:
                data = f.read(CHUNK + 1)
                if len(data) > CHUNK:  # a large file: streamed, synced on its own
                    f.seek(0)
                    refs.append(self.put_stream(f))
                    continue
            hex_ = hashlib.sha256(data).hexdigest()
            if not self._stored(hex_, len(data)):
                tmp = self._new_temp()
                with open(tmp, "wb") as out:
                    out.write(data)
                self._install(tmp, hex_, sync=False)
            refs.append(ArtifactRef(digest="sha256:" + hex_, size=len(data), uri=self._uri(hex_)))
        if refs:
            _sync_file_system(self.root)
        return refs

    def put_stream(self, fileobj: BinaryIO, *, sync: bool = True) -> ArtifactRef:
        """Store everything read from ``fileobj`` (read in 1 MiB chunks); ``sync=False`` leaves
        flushing to disk to the caller."""
        tmp = self._new_temp()
        try:
            h, size = hashlib.sha256(), 0
            with open(tmp, "wb") as out:
                while chunk := fileobj.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                if self.fs is None and sync:
                    os.fsync(out.fileno())
            hex_ = h.hexdigest()
            if not self._stored(hex_, size):
                if self.fs is None:
                    self._install(tmp, hex_, sync=sync)
                else:
                    # Explicit part size keeps memory bounded (s3fs reads a whole part at once).
                    part = max(8 * CHUNK, math.ceil(size / 10_000))
                    self.fs.put_file(tmp, self._path(hex_), chunksize=part)
            return ArtifactRef(digest="sha256:" + hex_, size=size, uri=self._uri(hex_))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _new_temp(self) -> str:
        """A new, empty temporary file of this process (local stores: inside the store)."""
        tmp_dir = self._tmp_dir()
        if tmp_dir not in self._made_dirs:
            os.makedirs(tmp_dir, exist_ok=True)
            self._made_dirs.add(tmp_dir)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=tmp_dir)
        os.close(fd)
        return tmp

    def _install(self, tmp: str, hex_: str, *, sync: bool) -> None:
        """Rename a complete local temporary file into its final, content-addressed place."""
        final = self._path(hex_)
        folder = os.path.dirname(final)
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
        if sync:
            _fsync_dir(folder)

    def _stored(self, hex_: str, size: int) -> bool:
        """Already stored with the right size? (A file torn by a power cut is written again.)"""
        if self.fs is not None:
            return bool(self.fs.exists(self._path(hex_)))
        try:
            return os.stat(self._path(hex_)).st_size == size
        except FileNotFoundError:
            return False

    # -- reading -----------------------------------------------------------------------------
    def exists(self, digest: str) -> bool:
        """Whether an object with ``digest`` is stored (its content is not checked)."""
        path = self._path(_hex(digest))
        return os.path.isfile(path) if self.fs is None else bool(self.fs.exists(path))

    def open(self, digest: str) -> BinaryIO:
        """Open the object for binary reading; ArtifactCorrupted is raised once read to EOF."""
        hex_ = _hex(digest)
        path = self._path(hex_)
        try:
            f = (open(path, "rb", buffering=0) if self.fs is None
                 else self.fs.open(path, "rb", block_size=8 * CHUNK))
        except FileNotFoundError:
            raise NotFound(f"artifact {digest} not found in store {self._uri_root}") from None
        return io.BufferedReader(_VerifyingReader(f, hex_, self._uri(hex_)), CHUNK)

    def verified_path(self, digest: str) -> str | None:
        """For a local store: the object's file path after its hash was verified by streaming it
        (so a reader can memory-map it instead of holding a copy); None for remote stores."""
        if self.fs is not None:
            return None
        with self.open(digest) as f:
            while f.read(8 * CHUNK):
                pass
        return self._path(_hex(digest))

    def get_bytes(self, digest: str) -> bytes:
        """Return the verified content of the object."""
        with self.open(digest) as f:
            return f.read()

    def get_file(self, digest: str, dest_path: str | os.PathLike) -> None:
        """Write the verified content to ``dest_path`` (created only if the content verifies)."""
        dest = os.path.abspath(dest_path)
        with self.open(digest) as src:
            fd, tmp = tempfile.mkstemp(prefix=".steward-get-", dir=os.path.dirname(dest))
            try:
                with os.fdopen(fd, "wb") as out:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)

    # -- maintenance -------------------------------------------------------------------------
    def delete(self, digest: str) -> bool:
        """Delete the object (retention and erasure); False when it was not stored."""
        path = self._path(_hex(digest))
        if self.fs is not None:
            if not self.fs.exists(path):
                return False
            self.fs.rm(path)
            return True
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    def cleanup_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files left by crashed writers, older than the given age; return the count.

        For remote stores the temp files are the local spool files of this machine.
        """
        tmp_dir, removed = self._tmp_dir(), 0
        cutoff = time.time() - older_than_seconds
        try:
            entries = list(os.scandir(tmp_dir))
        except FileNotFoundError:
            return 0
        for e in entries:
            try:
                if e.name.startswith(_TMP_PREFIX) and e.is_file() and e.stat().st_mtime <= cutoff:
                    os.unlink(e.path)
                    removed += 1
            except OSError:  # removed concurrently, or another user's spool file
                pass
        return removed


__all__ = ["ArtifactRef", "ArtifactStore"]
