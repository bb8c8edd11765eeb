"""The migrations build exactly the schema the models describe, on whichever database runs."""

from datetime import datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bot.domain.seals import verification
from bot.migrate import alembic_config
from bot.models import Base, Seal


def test_migrated_schema_matches_the_models(store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_seals_awarded_before_the_seal_record_become_active_records(tmp_path) -> None:
    """A database from before seal_01 with a sealed business: after upgrading, that business
    holds an active, numbered seal valid 24 months, with a code that verifies."""

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "assessment_01")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO businesses (name, place, country, registered_at, seal_awarded_at) "
                "VALUES ('Golden Jute Crafts', 'Dhaka', 'BD', '2025-01-01 00:00:00.000000', "
                "'2025-03-31 10:00:00.000000')"
            )
        )
    command.upgrade(alembic_config(url), "head")
    with Session(engine) as session:
        seal = session.query(Seal).one()
        assert (seal.status, seal.awarded_at) == ("active", datetime(2025, 3, 31, 10))
        assert seal.valid_until == datetime(2027, 3, 31, 10)
        assert seal.number == "EH-2025-00001"
        found = verification(session, seal.code, datetime(2026, 1, 1))
        assert (found.business, found.status) == ("Golden Jute Crafts", "active")
    command.downgrade(alembic_config(url), "assessment_01")
    engine.dispose()
