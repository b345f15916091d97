"""Run Alembic migrations from code (the CLI and tests use this)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import sessionmaker

from app.db import create_db_engine, create_missing_indexes, transaction
from app.models.event import EVENT_INDEXES
from app.services import events

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate to ``revision``; at the head, also build any event index and write any CSV
    line that an import killed while loading left (``app.services.importer``)."""
    command.upgrade(alembic_config(database_url), revision)
    if revision == "head":
        engine = create_db_engine(database_url)
        try:
            with engine.begin() as connection:
                create_missing_indexes(connection, EVENT_INDEXES)
                pending = events.lines_are_pending(connection)
            if pending:
                with transaction(sessionmaker(engine), write=True) as session:
                    events.write_pending_lines(session.connection())
        finally:
            engine.dispose()


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
