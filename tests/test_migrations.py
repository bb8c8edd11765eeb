"""The migrations build exactly the schema the models describe, on whichever database runs."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.models import Base


def test_migrated_schema_matches_the_models(store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
