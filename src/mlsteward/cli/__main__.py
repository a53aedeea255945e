"""``python -m mlsteward.cli`` runs the ``steward`` command."""

from mlsteward.cli.main import run

run()
