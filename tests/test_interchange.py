"""Imports and exports: streamed CSV/NDJSON/ACLED over HTTP, ``sitrep import`` and
``sitrep export`` with ACLED, UCDP, CSV and NDJSON files."""

import csv
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.cli import main
from app.db import create_db_engine
from app.interchange import acled, flat
from tests.conftest import EVENT_INDEX_NAMES, event_indexes
from tests.factories import acled_rows, event_payload, wire_report_night

DATA = Path(__file__).parent / "data"


@pytest.fixture
def run(database_url: str, client: TestClient) -> CliRunner:
    return CliRunner(env={"SITREP_DATABASE_URL": database_url})


@pytest.fixture
def night(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post("/v1/events/batch", json={"events": wire_report_night()}, headers=writer)
    assert response.status_code == 201


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_export_streams_every_event_with_flat_columns(client: TestClient, night: None) -> None:
    response = client.get("/v1/events", params={"format": "csv"})

    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == flat.COLUMNS
    assert [r["external_id"] for r in rows] == ["wire-kyiv", "wire-kharkiv", "wire-belgorod"]
    kharkiv = rows[1]
    assert (kharkiv["country"], kharkiv["fatalities_best"], kharkiv["injured_best"]) == (
        "UA",
        "11",
        "17",
    )
    assert (
        kharkiv["location"],
        kharkiv["admin1"],
        kharkiv["latitude"],
        kharkiv["tags"],
        kharkiv["damage"],
        kharkiv["status"],
        kharkiv["version"],
    ) == (
        "Kharkiv",
        "Kharkiv Oblast",
        "49.9935",
        "apartment-block",
        "residential",
        "published",
        "1",
    )


def test_csv_export_follows_each_change_to_an_event(
    client: TestClient, writer: dict[str, str]
) -> None:
    first = client.post("/v1/events", json=event_payload(), headers=writer).json()
    moved = client.post(
        "/v1/events", json=event_payload(occurred_on="2024-05-20"), headers=writer
    ).json()
    response = client.patch(
        f"/v1/events/{moved['id']}",
        json={
            "title": "Toll rises",
            "occurred_on": "2024-06-01",
            "casualties": [{"kind": "killed", "count": 9}],
        },
        headers=writer,
    )
    assert response.status_code == 200, response.text

    def rows(query: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(client.get(f"/v1/events?{query}").text)))

    whole = rows("format=csv")
    assert [row["id"] for row in whole] == [moved["id"], first["id"]]
    # Each stored line renders the event as served, its time of change included.
    for row in whole:
        served = client.get(f"/v1/events/{row['id']}").json()
        assert row == dict(
            zip(flat.COLUMNS, next(csv.reader([flat.csv_line(served)])), strict=True)
        )
    assert (whole[0]["title"], whole[0]["occurred_on"], whole[0]["fatalities_best"]) == (
        "Toll rises",
        "2024-06-01",
        "9",
    )
    assert whole[0]["version"] == "2"
    # Filtered, paged and date-bounded exports read the lines by other paths.
    assert rows("format=csv&country=UA") == whole
    assert rows("format=csv&limit=5") == whole
    assert rows("format=csv&date_from=2024-05-21") == whole
    assert rows("format=csv&date_to=2024-05-31") == whole[1:]


def test_csv_by_accept_and_paged_with_limit(client: TestClient, night: None) -> None:
    response = client.get("/v1/events", params={"limit": 1}, headers={"Accept": "text/csv"})

    assert len(list(csv.DictReader(io.StringIO(response.text)))) == 1
    assert 'rel="next"' in response.headers["link"]


def test_ndjson_export_is_the_full_json_per_line(client: TestClient, night: None) -> None:
    response = client.get("/v1/events", params={"format": "ndjson", "country": "RU"})

    lines = response.text.splitlines()
    assert response.headers["content-type"] == "application/x-ndjson"
    assert [orjson.loads(line)["external_id"] for line in lines] == ["wire-belgorod"]
    assert (
        orjson.loads(lines[0])
        == client.get("/v1/events", params={"country": "RU"}).json()["items"][0]
    )


def test_acled_import_reimport_and_export_round_trip(
    run: CliRunner, client: TestClient, tmp_path: Path
) -> None:
    rows = acled_rows(300)
    path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, rows)

    first = run.invoke(main, ["import", str(path), "--format", "acled"])
    again = run.invoke(main, ["import", str(path), "--format", "acled"])
    exported = client.get("/v1/events", params={"format": "acled", "sort": "occurred_on"})

    assert first.exit_code == 0, first.output
    assert "300 created" in first.output
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 300 unchanged" in again.output
    back = {r["event_id_cnty"]: r for r in csv.DictReader(io.StringIO(exported.text))}
    assert len(back) == 300
    for row in rows:
        for column in acled.COLUMNS:
            if column != "timestamp":  # written as Sitrep's own updated_at
                assert back[row["event_id_cnty"]][column] == row[column], column


def test_acled_export_by_the_cli(run: CliRunner, night: None, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"

    result = run.invoke(main, ["export", "country=UA", "--format", "acled", "-o", str(out)])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert {r["event_id_cnty"] for r in rows} == {"wire-kyiv", "wire-kharkiv"}
    assert {r["iso"] for r in rows} == {"804"}


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("date_from=2024-02-30", "date_from: Input should be a valid date"),
        ("sort=nope", "sort: 'nope' is not one of -occurred_on"),
        ("sort=distance", "sort=distance needs near"),
        ("contry=UA", "unknown filter contry"),
    ],
)
def test_export_with_a_bad_query_says_which_part_is_wrong(
    run: CliRunner, query: str, said: str
) -> None:
    result = run.invoke(main, ["export", query])

    assert result.exit_code == 2, result.output  # a usage error, not a traceback
    assert f"Invalid value for QUERY: {said}" in result.output
    assert "errors.pydantic.dev" not in result.output


# --jobs 0 prepares the chunks in the importing process, --jobs 2 in two others.
@pytest.mark.parametrize("jobs", ["0", "2"])
def test_bad_row_names_its_line_and_field_and_its_chunk_is_not_written(
    run: CliRunner, client: TestClient, tmp_path: Path, jobs: str
) -> None:
    rows = acled_rows(450)
    rows[160]["event_date"] = "2024-02-31"
    path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, rows)

    result = run.invoke(
        main, ["import", str(path), "--format", "acled", "--chunk-size", "100", "--jobs", jobs]
    )

    assert result.exit_code == 1
    assert "line 162" in result.output and "occurred_on" in result.output
    stored = client.get("/v1/events", params={"limit": 1000}).json()["items"]
    assert len(stored) == 100  # the first chunk only; rows 101-200 are one failed chunk


# An import into an empty database builds the events' indexes after loading them.
@pytest.mark.parametrize("bad_line", [None, 162])
def test_import_into_an_empty_database_leaves_every_index_built(
    run: CliRunner, client: TestClient, database_url: str, tmp_path: Path, bad_line: int | None
) -> None:
    rows = acled_rows(250)
    if bad_line:
        rows[bad_line - 2]["event_date"] = "2024-02-31"
    path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, rows)
    assert event_indexes(database_url) >= EVENT_INDEX_NAMES

    result = run.invoke(main, ["import", str(path), "--format", "acled", "--chunk-size", "100"])

    assert result.exit_code == (1 if bad_line else 0), result.output
    assert event_indexes(database_url) >= EVENT_INDEX_NAMES
    stored = client.get("/v1/events", params={"limit": 1000, "sort": "-fatalities"}).json()
    assert len(stored["items"]) == (100 if bad_line else 250)


def test_db_upgrade_builds_the_indexes_a_killed_import_left_missing(
    run: CliRunner, database_url: str
) -> None:
    engine = create_db_engine(database_url)
    with engine.begin() as conn:  # as an import killed while loading leaves them
        conn.execute(text("DROP INDEX ix_events_country_occurred_on_id_stats"))
        conn.execute(text("DROP INDEX ix_events_fatalities_sort"))
    engine.dispose()
    dropped = {"ix_events_country_occurred_on_id_stats", "ix_events_fatalities_sort"}
    assert not dropped & event_indexes(database_url)

    result = run.invoke(main, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert event_indexes(database_url) >= EVENT_INDEX_NAMES


def _csv_rows(client: TestClient) -> list[dict[str, str]]:
    return list(
        csv.DictReader(io.StringIO(client.get("/v1/events", params={"format": "csv"}).text))
    )


# An import into an empty database writes the CSV lines after its events, in date order.
@pytest.mark.parametrize("bad_line", [None, 162])
def test_import_into_an_empty_database_leaves_every_csv_line_written(
    run: CliRunner, client: TestClient, tmp_path: Path, bad_line: int | None
) -> None:
    rows = acled_rows(250)
    if bad_line:
        rows[bad_line - 2]["event_date"] = "2024-02-31"
    path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, rows)

    result = run.invoke(main, ["import", str(path), "--format", "acled", "--chunk-size", "100"])

    assert result.exit_code == (1 if bad_line else 0), result.output
    exported = _csv_rows(client)
    expected = rows[:100] if bad_line else rows
    assert sorted(r["external_id"] for r in exported) == sorted(
        r["event_id_cnty"] for r in expected
    )
    days = [r["occurred_on"] for r in exported]
    assert days == sorted(days, reverse=True)  # newest first, as the export sorts by default


def test_an_import_updating_an_event_it_loaded_updates_its_csv_line(
    run: CliRunner, client: TestClient, tmp_path: Path
) -> None:
    bodies = [event_payload(external_id=f"e{i}") for i in range(5)]
    bodies.append(event_payload(external_id="e1", title="Toll revised", occurred_on="2024-06-02"))
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(body) for body in bodies))

    result = run.invoke(main, ["import", str(path), "--chunk-size", "2"])

    assert result.exit_code == 0, result.output
    assert "5 created, 1 updated" in result.output
    exported = {r["external_id"]: r for r in _csv_rows(client)}
    assert len(exported) == 5
    assert (exported["e1"]["title"], exported["e1"]["occurred_on"]) == (
        "Toll revised",
        "2024-06-02",
    )


def test_db_upgrade_writes_the_csv_lines_a_killed_import_left_pending(
    run: CliRunner, client: TestClient, database_url: str, writer: dict[str, str], tmp_path: Path
) -> None:
    path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, acled_rows(30))
    assert run.invoke(main, ["import", str(path), "--format", "acled"]).exit_code == 0
    engine = create_db_engine(database_url)
    with engine.begin() as conn:  # as an import killed while loading leaves them
        conn.execute(
            text(
                "INSERT INTO event_lines_pending (id, occurred_on, status, csv_row)"
                " SELECT id, occurred_on, status, csv_row FROM event_lines"
            )
        )
        conn.execute(text("DELETE FROM event_lines"))
    engine.dispose()
    assert _csv_rows(client) == []
    first = client.get("/v1/events", params={"sort": "occurred_on", "limit": 1}).json()["items"][0]
    patched = client.patch(f"/v1/events/{first['id']}", json={"title": "Retitled"}, headers=writer)
    assert patched.status_code == 200, patched.text

    result = run.invoke(main, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    exported = {r["id"]: r for r in _csv_rows(client)}
    assert len(exported) == 30
    assert exported[first["id"]]["title"] == "Retitled"
    assert run.invoke(main, ["db", "upgrade"]).exit_code == 0  # nothing is written twice
    assert len(_csv_rows(client)) == 30


# SQLite only: its write-ahead log is a file beside the database. A database of its own,
# so that the data checked is this test's alone.
def test_import_leaves_no_sqlite_write_ahead_log_behind(tmp_path: Path) -> None:
    database = tmp_path / "own.db"
    run = CliRunner(env={"SITREP_DATABASE_URL": f"sqlite:///{database}"})
    path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, acled_rows(250))

    result = run.invoke(main, ["import", str(path), "--format", "acled", "--chunk-size", "100"])

    assert result.exit_code == 0, result.output
    log = Path(f"{database}-wal")
    assert not log.exists() or log.stat().st_size == 0
    exported = run.invoke(main, ["export", "--format", "ndjson"])
    assert len(exported.output.splitlines()) == 250


def test_ucdp_ged_import(run: CliRunner, client: TestClient) -> None:
    result = run.invoke(main, ["import", str(DATA / "ucdp_ged_sample.csv"), "--format", "ucdp"])

    assert result.exit_code == 0, result.output
    events = {
        e["external_id"]: e for e in client.get("/v1/events", params={"limit": 10}).json()["items"]
    }
    hroza = events["ucdp-500001"]
    assert hroza["fatalities"] == {"low": 52, "best": 59, "high": 62}
    assert hroza["location"]["country"] == "UA"
    assert hroza["event_type"] == "Battles"
    geneina = events["ucdp-500002"]
    assert geneina["event_type"] == "Violence against civilians"
    assert geneina["date_precision"] == "week"
    assert [a["role"] for a in geneina["actors"]] == ["perpetrator", "target"]


def test_ndjson_export_reimports_unchanged(run: CliRunner, night: None, tmp_path: Path) -> None:
    out = tmp_path / "events.ndjson"
    run.invoke(main, ["export", "--format", "ndjson", "-o", str(out)])

    result = run.invoke(main, ["import", str(out)])

    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 3 unchanged" in result.output


# PostgreSQL only: SQLite plans from its indexes alone and keeps no statistics to refresh.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_import_leaves_postgresql_vacuumed_and_analyzed(
    run: CliRunner, database_url: str, night: None, tmp_path: Path
) -> None:
    out = tmp_path / "events.ndjson"
    run.invoke(main, ["export", "--format", "ndjson", "-o", str(out)])
    engine = create_db_engine(database_url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_reset()"))
        conn.commit()

    assert run.invoke(main, ["import", str(out)]).exit_code == 0

    with engine.connect() as conn:
        vacuumed, analyzed = conn.execute(
            text(
                "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = 'events'"
            )
        ).one()
    engine.dispose()
    assert vacuumed is not None
    assert analyzed is not None


def test_flat_csv_import(run: CliRunner, client: TestClient, tmp_path: Path) -> None:
    row = {
        "external_id": "sheet-1",
        "title": "Drone strike",
        "occurred_on": "2024-06-01",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Air/drone strike",
        "location": "Sumy",
        "country": "Ukraine",
        "fatalities_best": "2",
        "actors": "Military Forces of Russia (perpetrator)",
        "tags": "drones; night",
    }
    path = _write_csv(tmp_path / "sheet.csv", list(row), [row])

    result = run.invoke(main, ["import", str(path)])

    assert result.exit_code == 0, result.output
    event = client.get("/v1/events", params={"q": "Drone"}).json()["items"][0]
    assert event["location"]["admin1"] == "Sumy Oblast"  # geocoded
    assert event["fatalities"]["best"] == 2
    assert event["actors"] == [
        {
            "name": "Military Forces of Russia",
            "role": "perpetrator",
            "attribution": None,
            "attributed_by": None,
        }
    ]
    assert event["tags"] == ["drones", "night"]


def test_import_of_ndjson_bodies(run: CliRunner, client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "bodies.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(event_payload(external_id=f"n{i}")) for i in range(3)))

    result = run.invoke(main, ["import", str(path)])

    assert result.exit_code == 0, result.output
    assert len(client.get("/v1/events").json()["items"]) == 3


def test_import_in_worker_processes_keeps_every_row_and_updates_on_reimport(
    run: CliRunner, client: TestClient, tmp_path: Path
) -> None:
    path = tmp_path / "bodies.ndjson"
    bodies = [event_payload(external_id=f"n{i}", title=f"Strike {i}") for i in range(50)]
    path.write_bytes(b"\n".join(map(orjson.dumps, bodies)))
    args = ["import", str(path), "--chunk-size", "7", "--jobs", "2"]

    first = run.invoke(main, args)
    bodies[45]["title"] = "Strike 45, toll revised"
    path.write_bytes(b"\n".join(map(orjson.dumps, bodies)))
    again = run.invoke(main, args)

    assert "50 created, 0 updated, 0 unchanged" in first.output, first.output
    assert "0 created, 1 updated, 49 unchanged" in again.output, again.output
    stored = client.get("/v1/events", params={"limit": 100}).json()["items"]
    assert sorted((e["external_id"], e["title"]) for e in stored) == sorted(
        (b["external_id"], b["title"]) for b in bodies
    )
    lines = list(
        csv.DictReader(
            io.StringIO(client.get("/v1/events", params={"format": "csv", "limit": 100}).text)
        )
    )
    assert len(lines) == 50
    stats = client.get("/v1/stats", params={"interval": "month"}).json()
    assert sum(b["events"] for b in stats["buckets"]) == 50


# On SQLite a chunk reaches the writer as a file of rows stamped with a stand-in time,
# which the writer replaces with its own as it copies them (``app.services.chunk_files``).
@pytest.mark.parametrize("jobs", ["0", "2"])
def test_an_imported_event_bears_its_time_of_writing_wherever_it_is_stored(
    run: CliRunner, client: TestClient, tmp_path: Path, jobs: str
) -> None:
    path = tmp_path / "night.ndjson"
    path.write_bytes(b"\n".join(map(orjson.dumps, wire_report_night())))
    before = datetime.now(UTC)

    result = run.invoke(main, ["import", str(path), "--chunk-size", "2", "--jobs", jobs])

    assert result.exit_code == 0, result.output
    events = client.get("/v1/events").json()["items"]
    lines = {r["id"]: r for r in _csv_rows(client)}
    assert len(events) == len(lines) == 3
    for event in events:
        written = event["updated_at"]
        assert event["created_at"] == written
        assert datetime.fromisoformat(written) >= before
        as_of = client.get(f"/v1/events/{event['id']}", params={"as_of": written})
        assert as_of.json() == event  # the revision's copy of the document
        (revision,) = client.get(f"/v1/events/{event['id']}/history").json()["items"]
        assert revision["changed_at"] == written
        assert lines[event["id"]]["updated_at"] == written
        assert lines[event["id"]]["title"] == event["title"]
    stats = client.get("/v1/stats", params={"interval": "month"}).json()
    assert sum(b["fatalities"] for b in stats["buckets"]) == sum(
        e["fatalities"]["best"] or 0 for e in events
    )


def test_an_import_leaves_no_temporary_file_behind(
    run: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    rows = acled_rows(450)
    rows[260]["event_date"] = "2024-02-31"
    bad = _write_csv(tmp_path / "bad.csv", acled.COLUMNS, rows)
    good = _write_csv(tmp_path / "good.csv", acled.COLUMNS, acled_rows(250))

    for path, code in ((bad, 1), (good, 0)):
        args = ["import", str(path), "--format", "acled", "--chunk-size", "100", "--jobs", "2"]
        assert run.invoke(main, args).exit_code == code
        assert list(temporary.iterdir()) == []


def test_unreadable_ndjson_line_stops_the_import_with_its_chunk_unwritten(
    run: CliRunner, client: TestClient, tmp_path: Path
) -> None:
    lines = [orjson.dumps(event_payload(external_id=f"n{i}")) for i in range(5)]
    lines[3] = b"{not json"
    path = tmp_path / "broken.ndjson"
    path.write_bytes(b"\n".join(lines))

    result = run.invoke(main, ["import", str(path), "--chunk-size", "2"])

    assert result.exit_code == 1
    assert "line 4" in result.output and "from line 3 on" in result.output
    assert len(client.get("/v1/events").json()["items"]) == 2


@pytest.mark.parametrize("fmt", ["ndjson", "acled"])
def test_a_line_that_is_not_utf8_stops_the_import_naming_it(
    run: CliRunner, client: TestClient, tmp_path: Path, fmt: str
) -> None:
    """A file saved in another encoding (an ACLED CSV in Latin-1, say) is refused at its
    first such line, with the rows of the chunks before it imported, not a traceback."""
    if fmt == "ndjson":
        lines = [orjson.dumps(event_payload(external_id=f"n{i}")) for i in range(5)]
        lines[3] = orjson.dumps(event_payload(title="Strike on Kyiv café")).replace(
            "é".encode(), "é".encode("latin-1")
        )
        path = tmp_path / "latin1.ndjson"
        path.write_bytes(b"\n".join(lines))
    else:
        rows = acled_rows(5)
        rows[3]["notes"] = "Strike on Kyiv café"
        path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, rows)
        path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))

    result = run.invoke(main, ["import", str(path), "--format", fmt, "--chunk-size", "2"])

    assert result.exit_code == 1, result.output
    line = 4 if fmt == "ndjson" else 5  # a CSV's first line is its header
    assert f"line {line}: -: not UTF-8 text" in result.output
    assert f"from line {line - 1} on" in result.output
    assert len(client.get("/v1/events").json()["items"]) == 2


def test_a_row_cut_short_by_a_line_that_is_not_utf8_is_not_imported(
    run: CliRunner, client: TestClient, tmp_path: Path
) -> None:
    """The line that is not UTF-8 is the second of a quoted cell: the row it ends is not
    imported cut short, though it could have closed a chunk."""
    rows = acled_rows(3)
    rows[1]["notes"] = "Strike on a market,\nthen a second on a café"  # lines 3 and 4
    path = _write_csv(tmp_path / "acled.csv", acled.COLUMNS, rows)
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))

    result = run.invoke(main, ["import", str(path), "--format", "acled", "--chunk-size", "2"])

    assert result.exit_code == 1, result.output
    assert "line 4: -: not UTF-8 text" in result.output
    assert "from line 2 on" in result.output
    assert client.get("/v1/events").json()["items"] == []


def test_pages_and_exports_keep_non_ascii_text_beside_ascii(
    client: TestClient, writer: dict[str, str]
) -> None:
    # The JSON page and the CSV are put together from each event's stored text; one
    # non-ASCII event among ASCII ones must come back as written, in every format.
    titles = ["Shelling of Kharkiv", "Обстріл Харкова", "Strike near Izium", "Frappe à Kherson 🚀"]
    for day, title in enumerate(titles, 1):
        body = event_payload(title=title, occurred_on=f"2024-05-{day:02d}")
        assert client.post("/v1/events", json=body, headers=writer).status_code == 201
    newest_first = titles[::-1]

    page = client.get("/v1/events")
    assert page.headers["content-type"] == "application/json"
    assert [e["title"] for e in page.json()["items"]] == newest_first
    for query in ("format=csv&limit=10", "format=csv"):  # a page, and the streamed export
        response = client.get(f"/v1/events?{query}")
        rows = csv.DictReader(io.StringIO(response.content.decode("utf-8")))
        assert [row["title"] for row in rows] == newest_first
