"""The README's command reference lists every command of the CLI, and nothing that is not one."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from mlsteward.cli.main import app

README = Path(__file__).resolve().parents[1] / "README.md"


def commands(command, prefix: tuple[str, ...] = ()) -> set[str]:  # noqa: ANN001 - a click command or group
    subs = getattr(command, "commands", None)
    if not subs:
        return {" ".join(prefix)}
    found = {" ".join(prefix)} if prefix and getattr(command, "invoke_without_command", False) else set()
    for name, sub in subs.items():
        found |= commands(sub, (*prefix, name))
    return found


def test_the_readme_command_reference_matches_the_cli() -> None:
    text = README.read_text()
    section = text.split("## Command reference", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `steward ([a-z][a-z -]*)` \|", section, flags=re.MULTILINE))
    cli = commands(get_command(app))
    assert len(cli) > 60
    assert cli - listed == set(), "commands missing from the README's command reference"
    assert listed - cli == set(), "the README's command reference lists commands the CLI does not have"
