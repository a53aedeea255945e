"""The load test's HTTP client: one kept-alive HTTP/1.1 connection per simulated client, posting request bodies
encoded beforehand with a request head built once.

A load driver must cost far less CPU than the server it measures, or on a small machine it takes the server's
cores and inflates the latencies it reports. httpx spent about 10 ms of CPU per request here (more than the
server it drove); this client writes bytes and reads the answer's head and body (``Content-Length``, chunked,
or until the server closes), nothing else. Plain ``http://`` only; the load test uses httpx for ``https://``.
A connection the server closed is reopened for the next request; a request on a kept-alive connection that the
server had closed meanwhile is sent again once, on a new connection.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class ConnectError(OSError):
    """The server could not be reached."""


class ReadTimeout(TimeoutError):
    """No complete answer within the timeout."""


class RemoteProtocolError(ConnectionError):
    """The server's answer was not HTTP/1.1 the client understands."""


class Connection:
    """POST to one URL over one connection, reopened when the server closes it."""

    def __init__(self, url: str, headers: dict[str, str], timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the lean client speaks plain http only, not {url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json",
                 *(f"{k}: {v}" for k, v in headers.items() if k.lower() not in {"host", "content-type"})]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        """The answer's status and body."""
        try:
            async with asyncio.timeout(self.timeout_s):
                reused = self._writer is not None
                try:
                    return await self._exchange(body)
                except (ConnectionError, asyncio.IncompleteReadError):
                    self.close()
                    if not reused:
                        raise
                    return await self._exchange(body)  # the server closed the idle connection: once more
        except TimeoutError:
            self.close()
            raise ReadTimeout(f"no answer within {self.timeout_s:g} s") from None
        except asyncio.IncompleteReadError as exc:
            self.close()
            raise RemoteProtocolError("the server closed the connection mid-answer") from exc

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def _exchange(self, body: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            try:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            except OSError as exc:
                raise ConnectError(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        self._writer.write(self._head + str(len(body)).encode() + b"\r\n\r\n" + body)
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].split(b"\r\n")
        if not status_line.startswith(b"HTTP/1.") or len(status_line) < 12:
            raise RemoteProtocolError(f"not an HTTP/1.x answer: {status_line[:40]!r}")
        status = int(status_line[9:12])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" in headers:
            content = await reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            content = await _chunked(reader)
        else:
            content = await reader.read()
            self.close()
            return status, content
        if headers.get(b"connection") == b"close":
            self.close()
        return status, content


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent to a client that asked for none
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


__all__ = ["ConnectError", "Connection", "ReadTimeout", "RemoteProtocolError"]
