"""What every CLI command that changes the store shares: a migrated store, one transaction,
and what the domain refuses turned into its message on stderr with exit code 1.

This is the CLI's one mapping of domain errors: any other exception is a bug, and shows as one.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from sqlalchemy.orm import Session

from bot.db import Store
from bot.domain.errors import DomainError
from bot.migrate import upgrade
from bot.runtime import store_info
from bot.settings import get_settings

T = TypeVar("T")


@contextmanager
def transaction() -> Iterator[Session]:
    url = get_settings().database_url
    upgrade(url)
    store = Store(url, store_info(get_settings()))
    try:
        with store.transaction() as session:
            yield session
    finally:
        store.dispose()


def run_in_transaction(work: Callable[[Session], T]) -> T:
    """Run in one transaction; a domain error (bot.domain.errors) ends the command with its
    message on stderr and exit code 1, and nothing is saved."""
    try:
        with transaction() as session:
            return work(session)
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
