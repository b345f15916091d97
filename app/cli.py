"""The ``sitrep`` command line: serve, migrate, manage keys."""

import os
import sys
import tempfile
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

import click
import uvicorn
from alembic.util.exc import CommandError
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from app import collector, demo, migrate
from app import workers as workers_in_turn
from app.auth import parse_scopes
from app.config import Settings
from app.db import close_engine, create_db_engine, make_session_factory, transaction
from app.errors import AppError
from app.geo.gazetteer import Gazetteer, default_path
from app.interchange import export
from app.interchange.export import ExportFormat
from app.routers.filters import filters_from_query
from app.services import event_query, importer, keys
from app.services.event_query import Sort
from app.services.importer import ImportFormat


def _settings() -> Settings:
    """The settings, or an error naming the environment variable that is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "SITREP_" + "_".join(str(part) for part in error["loc"]).upper()
        raise click.ClickException(
            f"{name}: {str(error['msg']).removeprefix('Value error, ')}"
        ) from None


def _upgrade(database_url: str) -> None:
    try:
        migrate.upgrade(database_url)
    except OperationalError as exc:
        raise click.ClickException(
            f"cannot open the database at {_redacted(database_url)}: {exc.orig}".rstrip()
        ) from None
    except CommandError as exc:
        raise click.ClickException(
            f"cannot migrate the database at {_redacted(database_url)}: {exc}. Is it a "
            "database of a newer Sitrep, or of another application?"
        ) from None


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@click.group()
def main() -> None:
    """Sitrep: a REST API for conflict-event records."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--demo", "with_demo", is_flag=True, help="Load sample events into an empty database."
)
def serve(host: str, port: int, workers: int, with_demo: bool) -> None:
    """Migrate the database if needed and serve the API."""
    settings = _settings()
    _upgrade(settings.database_url)
    if not (settings.gazetteer_path or default_path()).exists():
        click.echo("building the gazetteer from GeoNames data (once, about 10 s)...", err=True)
    gazetteer = Gazetteer(settings.gazetteer_path)  # built here once, not by each worker
    if with_demo:
        engine = create_db_engine(settings.database_url)
        with transaction(make_session_factory(engine), write=True) as session:
            loaded = demo.load_if_empty(session, gazetteer)
        engine.dispose()
        click.echo(
            f"demo: loaded {loaded} events"
            if loaded
            else "demo: the database already holds events; nothing loaded",
            err=True,
        )
    metrics_dir = None
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Workers write their metrics here so that /metrics on any of them adds all up;
        # removed when the server stops.
        metrics_dir = tempfile.TemporaryDirectory(prefix="sitrep-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir.name
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "proxy_headers": True,
        "access_log": False,  # Sitrep logs each request itself, as JSON with its request id
    }
    try:
        if workers > 1 and sys.platform == "linux":
            # The parent hands connections to the workers in turn (``app.workers``).
            workers_in_turn.serve(uvicorn.Config("app.main:serve_app", **options))
        else:
            uvicorn.run("app.main:serve_app", **options)
    finally:
        if metrics_dir is not None:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
            metrics_dir.cleanup()


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (Alembic) to SITREP_DATABASE_URL."""
    url = _settings().database_url
    _upgrade(url)
    click.echo(f"database at {_redacted(url)} is up to date", err=True)


@main.group("keys")
def keys_group() -> None:
    """API key management."""


def _engine() -> Engine:
    """The engine of the configured database, migrated first, and closed when the command
    ends (``close_engine``): left open, an import of 1M events left SQLite's write-ahead
    log, 530 MB, for the next process to read through before its first query."""
    settings = _settings()
    _upgrade(settings.database_url)
    engine = create_db_engine(settings.database_url)
    click.get_current_context().call_on_close(partial(close_engine, engine))
    return engine


def _session_factory() -> sessionmaker[Session]:
    return make_session_factory(_engine())


@keys_group.command("create")
@click.option("--name", required=True, help="A name that says who holds the key.")
@click.option(
    "--scope",
    "scope_text",
    default="read",
    show_default=True,
    help="Comma-separated: read, write, admin.",
)
@click.option(
    "--expires",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Expiry (UTC), e.g. 2027-01-31.",
)
def keys_create(name: str, scope_text: str, expires: datetime | None) -> None:
    """Create an API key; the key alone is the last line printed."""
    try:
        scopes = parse_scopes(scope_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scope") from None
    try:
        with transaction(_session_factory(), write=True) as session:
            record, secret = keys.create(
                session,
                name=name,
                scopes=scopes,
                expires_at=expires.replace(tzinfo=UTC) if expires else None,
            )
    except AppError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"created key {record.name!r} with scopes {record.scopes}; store it now, "
        "it is not shown again:"
    )
    click.echo(secret)


@keys_group.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    with transaction(_session_factory()) as session:
        records = keys.get_all(session)
    click.echo(
        f"{'name':<24} {'scopes':<18} {'created':<20} {'expires':<20} {'last used':<20} state"
    )
    for r in records:
        state = "revoked" if r.revoked_at else "active"
        click.echo(
            f"{r.name:<24} {r.scopes:<18} {_time(r.created_at):<20} "
            f"{_time(r.expires_at):<20} {_time(r.last_used_at):<20} {state}"
        )


@keys_group.command("revoke")
@click.argument("name")
def keys_revoke(name: str) -> None:
    """Revoke the key called NAME."""
    try:
        with transaction(_session_factory(), write=True) as session:
            keys.revoke(session, name=name)
    except AppError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked key {name!r}")


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


_IMPORT_SUFFIXES = {".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv"}


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ImportFormat]),
    help="Default: from the file's extension (.ndjson, .jsonl, .csv).",
)
@click.option(
    "--chunk-size",
    default=importer.DEFAULT_CHUNK_SIZE,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Rows written per transaction.",
)
@click.option(
    "--jobs",
    type=click.IntRange(0, 64),
    help="Processes that validate and prepare chunks while this one writes "
    "(0: none). Default, for files of several chunks: as many as the CPUs on SQLite, one "
    "less (at least one) on PostgreSQL.",
)
def import_events(file: Path, fmt: str | None, chunk_size: int, jobs: int | None) -> None:
    """Import events from FILE; stored external ids are updated, not duplicated."""
    fmt = fmt or _IMPORT_SUFFIXES.get(file.suffix.lower())
    if fmt is None:
        raise click.BadParameter("give --format for this file", param_hint="--format")
    settings = _settings()
    factory = _session_factory()
    gazetteer = Gazetteer(settings.gazetteer_path)
    total = importer.count_records(file, ImportFormat(fmt))
    if jobs is None:
        jobs = importer.default_workers(factory) if total > chunk_size else 0
    collector.settle()
    with tqdm(total=total, unit=" rows", file=sys.stderr, disable=None) as bar:
        try:
            result = importer.import_file(
                factory,
                gazetteer,
                file,
                ImportFormat(fmt),
                chunk_size=chunk_size,
                workers=jobs,
                progress=bar.update,
            )
        except importer.BadRow as bad:
            bar.close()
            raise click.ClickException(
                f"{file}: line {bad.line}: {bad.field}: {bad.msg}. Nothing from line "
                f"{bad.chunk_start} on was written; rows before it were imported."
            ) from None
    click.echo(
        f"imported {file}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged",
        err=True,
    )


@main.command("export")
@click.argument("query", default="")
@click.option(
    "--format",
    "fmt",
    default="ndjson",
    show_default=True,
    type=click.Choice(["csv", "ndjson", "geojson", "acled"]),
)
@click.option("--output", "-o", type=click.File("wb"), default="-", show_default=True)
def export_events(query: str, fmt: str, output: BinaryIO) -> None:
    """Write the events matching QUERY, the API's filters as a query string
    (e.g. "country=UA&date_from=2024-01-01"), to stdout or --output."""
    settings = _settings()
    engine = _engine()
    gazetteer = Gazetteer(settings.gazetteer_path)
    params = dict(parse_qsl(query, keep_blank_values=True))
    try:
        given = params.pop("sort", Sort.OCCURRED_DESC)
        if given not in Sort.__members__.values():
            raise ValueError(f"sort: {given!r} is not one of {', '.join(Sort)}")
        sort = Sort(given)
        filters = filters_from_query(params, gazetteer)
        event_query.check_sort(filters, sort)
    except (AppError, ValueError, TypeError) as exc:
        raise click.BadParameter(str(exc), param_hint="QUERY") from None
    filters.statuses = filters.statuses or event_query.default_statuses(
        sync=filters.updated_since is not None
    )
    columns = event_query.stored_columns(csv=fmt == ExportFormat.CSV)
    rows = event_query.iter_rows(engine, filters=filters, sort=sort, columns=columns)
    if fmt == ExportFormat.CSV:
        chunks = export.flat_csv(line for _, _, line, _ in rows)
    else:
        chunks = export.render(ExportFormat(fmt), (document for _, _, document, _ in rows))
    for chunk in chunks:
        output.write(chunk)
