"""Every benchmark starts from an empty, migrated database it is allowed to wipe."""

from pathlib import Path

from sqlalchemy import text

from bot.db import Store, is_postgres
from bot.migrate import upgrade


def fresh(url: str) -> None:
    """An empty, migrated schema."""
    store = Store(url)
    if is_postgres(store.engine):
        with store.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store.engine.url.database}{suffix}").unlink(missing_ok=True)
    store.dispose()
    upgrade(url)
