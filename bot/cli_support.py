"""What every CLI command that changes the store shares: a migrated store, one transaction,
and invalid input turned into its message on stderr with exit code 1."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from sqlalchemy.orm import Session

from bot.db import Store
from bot.migrate import upgrade
from bot.settings import get_settings

T = TypeVar("T")


@contextmanager
def transaction() -> Iterator[Session]:
    url = get_settings().database_url
    upgrade(url)
    store = Store(url)
    try:
        with store.transaction() as session:
            yield session
    finally:
        store.dispose()


def run_in_transaction(work: Callable[[Session], T]) -> T:
    """Run in one transaction; invalid input ends the command with its message, exit code 1."""
    try:
        with transaction() as session:
            return work(session)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
