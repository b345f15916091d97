"""Serve the explorer page and its static files."""

from pathlib import Path

import pycountry
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app.schemas.vocabulary import EventType

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"

# URL folder -> the npm package folder it serves; only what the page loads.
VENDOR = {
    "leaflet": "leaflet/dist",
    "markercluster": "leaflet.markercluster/dist",
    "uplot": "uplot/dist",
    "topojson": "topojson-client/dist",
    "world-atlas": "world-atlas",
}

# The filter bar's fields; any other query parameter is passed through to the API untouched.
FORM_FIELDS = ("date_from", "date_to", "country", "place", "event_type", "min_fatalities")

# Everything loads from this origin: no inline script or style, no CDN.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

templates = Jinja2Templates(directory=HERE / "templates")
COUNTRIES = sorted(
    ((c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries),
    key=lambda pair: pair[1],
)


def vendor_installed() -> bool:
    """Whether ``npm ci`` has fetched the page's libraries."""
    return all((NODE_MODULES / folder).is_dir() for folder in VENDOR.values())


async def explorer(request: Request) -> HTMLResponse:
    """The explorer, its filter bar filled from the query string."""
    values = {name: request.query_params.get(name, "") for name in FORM_FIELDS}
    response = templates.TemplateResponse(
        request,
        "index.html",
        {
            "values": values,
            "countries": COUNTRIES,
            "event_types": [t.value for t in EventType],
            "vendor_installed": vendor_installed(),
        },
    )
    response.headers["Content-Security-Policy"] = CSP
    return response


def mount_explorer(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files under ``/static``."""
    # A plain route, outside the API: it takes any query string the API takes.
    app.add_route("/", explorer, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/static/explorer", StaticFiles(directory=HERE / "static"), name="explorer")
    for url, folder in VENDOR.items():
        app.mount(
            f"/static/vendor/{url}",
            StaticFiles(directory=NODE_MODULES / folder, check_dir=False),
            name=f"vendor-{url}",
        )
