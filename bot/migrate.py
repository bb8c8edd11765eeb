"""Schema migrations, applied automatically whenever the product starts against a database."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from bot.db import normalise_url

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def autogenerate(url: str, message: str) -> None:
    """Developers: write a new migration from the difference between models and database."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
