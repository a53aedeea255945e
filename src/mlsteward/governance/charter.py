"""Charter versions compared: which top-level parts of the charter changed from one version to the next."""

from __future__ import annotations


def changed_keys(previous: dict | None, current: dict) -> list[str]:
    """The top-level keys added, removed or whose value differs (all of ``current``'s when there is no
    previous version), sorted."""
    if previous is None:
        return sorted(current)
    return sorted(key for key in previous.keys() | current.keys() if previous.get(key) != current.get(key)
                  or (key in previous) != (key in current))


__all__ = ["changed_keys"]
