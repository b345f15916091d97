"""The bare-metal ceiling: the smallest FastAPI app serving scenario A's page from Sitrep's
own database with plain ``sqlite3`` and the same SQL, no layers of ours in between."""

import os
import sqlite3
import threading

from fastapi import FastAPI
from fastapi.responses import Response

DATABASE = os.environ["CEILING_DATABASE"]
PAGE_SQL = (
    "SELECT document FROM events WHERE country = ? AND occurred_on >= ? AND occurred_on <= ?"
    " AND status = 'published' ORDER BY occurred_on DESC, id DESC LIMIT ?"
)
app = FastAPI()
_local = threading.local()


def _db() -> sqlite3.Connection:
    if not hasattr(_local, "db"):
        _local.db = sqlite3.connect(f"file:{DATABASE}?mode=ro", uri=True)
    return _local.db


@app.get("/page")
def page(country: str, date_from: str, date_to: str, limit: int = 100) -> Response:
    rows = _db().execute(PAGE_SQL, (country, date_from, date_to, limit)).fetchall()
    body = b'{"items":[' + b",".join(r[0].encode() for r in rows) + b'],"next_cursor":null}'
    return Response(body, media_type="application/json")
