"""``steward store``: the system of record itself."""

from __future__ import annotations

import typer
from pydantic import BaseModel

from mlsteward.cli.common import JSON
from mlsteward.cli.output import console, print_json
from mlsteward.settings import resolve_settings
from mlsteward.store import migrate, store_revision, upgrade_store
from mlsteward.store.engine import normalise_url, redacted

app = typer.Typer(help="Create, inspect and migrate the store.", no_args_is_help=True)


class StoreInfo(BaseModel):
    store_url: str
    artifacts_url: str
    revision: str | None
    head: str
    up_to_date: bool


@app.command()
def upgrade(json_: bool = JSON) -> None:
    """Migrate the store (or create it) to this Steward's schema."""
    settings = resolve_settings()
    before, after = upgrade_store(settings.store_url)
    url = redacted(normalise_url(settings.store_url))
    if json_:
        print_json({"store_url": url, "from": before, "to": after})
    elif before == after:
        console.print(f"The store at {url} is up to date (revision {after}).")
    else:
        console.print(f"Migrated the store at {url} from revision {before or 'none'} to {after}.")


@app.command()
def info(json_: bool = JSON) -> None:
    """Where the store and artifacts are, and the schema revision."""
    settings = resolve_settings()
    url = normalise_url(settings.store_url)
    revision = store_revision(settings.store_url)
    head = migrate.head_revision()
    result = StoreInfo(store_url=redacted(url), artifacts_url=settings.artifacts_url,
                       revision=revision, head=head, up_to_date=revision == head)
    if json_:
        print_json(result)
        return
    console.print(f"store      {result.store_url}\nartifacts  {result.artifacts_url}\n"
                  f"revision   {revision or 'none (empty)'} (this Steward needs {head})")
