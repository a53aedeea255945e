"""Who is looking at the dashboard: an API token (of `steward tokens create`) in a cookie set by the sign-in
page, or in an ``Authorization: Bearer`` header.

Reading is open when the server listens on loopback only; bound to any other address, every page needs a
token. Changing anything (a rollback) always needs a token, and the token's user must hold the role the
action needs in steward.yaml (checked by the same workflow the CLI uses).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote

from starlette.requests import Request

COOKIE = "steward_token"


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE) or None


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/ui/sign-in?next={quote(target, safe='')}"


def same_origin(request: Request) -> bool:
    """A form post comes from this dashboard (the Origin or Referer names this host), not another site."""
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    host = request.headers.get("host", "")
    if not host:
        return False
    ours = (f"http://{host}", f"https://{host}")
    return origin in ours or origin.startswith(tuple(f"{o}/" for o in ours))


def safe_next(target: str | None) -> str:
    """Only a path of this dashboard (never another site) to go back to after signing in."""
    if target and target.startswith("/ui") and not target.startswith("//"):
        return target
    return "/ui/"


__all__ = ["COOKIE", "is_loopback", "safe_next", "same_origin", "sign_in_url", "token_of"]
