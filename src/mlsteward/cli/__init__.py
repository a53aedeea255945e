"""The ``steward`` command line (Typer + rich)."""
