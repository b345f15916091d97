"""The explorer in headless Chromium, against a real server with the demo events.

Every figure the page shows is checked against the API answering the same query string.
"""

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.explorer.conftest import PageLog


def api(site: str, path: str, query: str = "", **params: str) -> Any:
    """GET ``path`` with the page's query string plus ``params``."""
    full = "&".join(part for part in (query, urlencode(params)) if part)
    response = httpx.get(f"{site}{path}?{full}")
    response.raise_for_status()
    return response.json()


def api_event_ids(site: str, query: str) -> list[str]:
    return [e["id"] for e in api(site, "/v1/events", query, limit="1000")["items"]]


def open_explorer(page: Page, url: str) -> None:
    page.goto(url)
    settled(page)


def settled(page: Page) -> None:
    """Wait until the page has drawn the answer to its current query string."""
    expect(page.locator("#status")).to_contain_text("matching event")
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true")


def page_query(page: Page) -> str:
    return urlsplit(page.url).query


def listed_ids(page: Page) -> list[str]:
    ids: list[str] = page.locator("#event-list a[data-id]").evaluate_all(
        "links => links.map(link => link.dataset.id)"
    )
    return ids


def assert_page_matches_api(page: Page, site: str) -> None:
    """List, map and chart all show what the API answers for the page's query string."""
    query = page_query(page)
    events = api(site, "/v1/events", query, limit="1000")["items"]
    assert listed_ids(page) == [e["id"] for e in events]
    with_coordinates = [e for e in events if e["location"]["latitude"] is not None]
    assert page.get_attribute("#map", "data-markers") == str(len(with_coordinates))
    weeks = api(site, "/v1/stats", query, interval="week", fill="true")["buckets"]
    assert page.get_attribute("#chart", "data-weeks") == str(len(weeks))
    assert page.get_attribute("#chart", "data-events") == str(sum(b["events"] for b in weeks))


def test_page_shows_the_demo_events_on_map_timeline_and_list(
    page: Page, page_log: PageLog, site: str, artifacts: Path, database_url: str
) -> None:
    open_explorer(page, f"{site}/")

    assert len(listed_ids(page)) == 30
    assert_page_matches_api(page, site)
    expect(page.locator("#chart canvas")).to_be_visible()
    # Country outlines drawn from the bundled world atlas, with no tile server.
    assert page.locator(".leaflet-overlay-pane path").count() > 100
    assert page.locator(".leaflet-tile").count() == 0
    assert page_log.errors == []
    # Everything, libraries and outlines included, came from Sitrep itself.
    assert {urlsplit(url).netloc for url in page_log.requests} == {urlsplit(site).netloc}

    shot = artifacts / f"explorer-{database_url.split(':')[0]}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


def test_filter_change_updates_url_map_chart_and_list(
    page: Page, page_log: PageLog, site: str
) -> None:
    open_explorer(page, f"{site}/")
    everything = listed_ids(page)

    page.select_option("#country", "UA")
    page.wait_for_url("**/?country=UA")
    settled(page)
    ukraine = listed_ids(page)
    assert 0 < len(ukraine) < len(everything)
    assert_page_matches_api(page, site)

    page.fill("#min_fatalities", "20")
    page.press("#min_fatalities", "Enter")
    page.wait_for_url("**/?country=UA&min_fatalities=20")
    settled(page)
    assert 0 < len(listed_ids(page)) < len(ukraine)
    assert_page_matches_api(page, site)

    # The download links reuse the page's query string on /v1/events.
    csv_link = page.get_attribute("#download-csv", "href")
    assert csv_link == f"/v1/events?{page_query(page)}&format=csv"
    rows = httpx.get(f"{site}{csv_link}").text.strip().splitlines()
    assert len(rows) - 1 == len(listed_ids(page))

    # Back restores the previous view, form included.
    page.go_back()
    page.wait_for_url("**/?country=UA")
    settled(page)
    assert page.input_value("#min_fatalities") == ""
    assert listed_ids(page) == ukraine
    assert page_log.errors == []


def test_a_shared_link_opens_the_same_view(page: Page, site: str) -> None:
    query = "country=UA&event_type=Explosions%2FRemote+violence&min_fatalities=10"
    open_explorer(page, f"{site}/?{query}")

    assert page.input_value("#country") == "UA"
    assert page.input_value("#event_type") == "Explosions/Remote violence"
    assert page.input_value("#min_fatalities") == "10"
    assert listed_ids(page) == api_event_ids(site, query)
    assert_page_matches_api(page, site)


def test_clicking_a_row_opens_the_event_with_claims_sources_and_history(
    page: Page, page_log: PageLog, site: str
) -> None:
    open_explorer(page, f"{site}/")
    row = page.locator("#event-list a[data-id]").first
    event_id = row.get_attribute("data-id")
    event = api(site, f"/v1/events/{event_id}")
    history = api(site, f"/v1/events/{event_id}/history")["items"]

    row.click()
    dialog = page.locator("#event-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#event-title")).to_have_text(event["title"])
    claims = dialog.locator("table").first.locator("tbody tr")
    expect(claims).to_have_count(len(event["casualties"]))
    for claim in event["casualties"]:
        if claim.get("claimed_by"):
            expect(claims.filter(has_text=claim["claimed_by"]).first).to_be_visible()
    for source in event["sources"]:
        expect(dialog.get_by_text(source["name"]).first).to_be_visible()
    expect(dialog.locator("h3", has_text="History").locator("+ ul li")).to_have_count(len(history))
    assert page.url.endswith(f"#event={event_id}")

    # Escape closes it, drops the fragment and gives focus back to the row.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).not_to_have_url(re.compile("#event="))
    expect(row).to_be_focused()
    assert page_log.errors == []


def test_clicking_a_marker_opens_its_event(page: Page, site: str) -> None:
    by_country = api(site, "/v1/stats", group_by="country")["buckets"]
    country = next(b["group"]["country"] for b in by_country if b["events"] == 1)
    [event] = api(site, "/v1/events", f"country={country}")["items"]
    open_explorer(page, f"{site}/?country={country}")

    page.locator(".event-dot").click()
    expect(page.locator("#event-dialog #event-title")).to_have_text(event["title"])
    assert page.url.endswith(f"#event={event['id']}")


def test_an_event_link_opens_the_event(page: Page, site: str) -> None:
    event = api(site, "/v1/events", limit="1")["items"][0]
    page.goto(f"{site}/#event={event['id']}")
    expect(page.locator("#event-dialog #event-title")).to_have_text(event["title"])


def test_place_autocomplete_suggests_from_the_gazetteer(page: Page, site: str) -> None:
    open_explorer(page, f"{site}/")
    expected = [p["name"] for p in api(site, "/v1/places", q="Khar", limit="8")["items"]]

    page.locator("#place").press_sequentially("Khar")
    options = page.locator("#place-options option")
    expect(options).to_have_count(len(expected))
    assert options.evaluate_all("os => os.map(o => o.value)") == expected


def test_a_bad_filter_is_reported_naming_the_field(page: Page, site: str) -> None:
    page.goto(f"{site}/?min_fatalities=-1")

    status = page.locator("#status")
    expect(status).to_contain_text("min_fatalities")
    expect(status).to_have_class("status error")


def test_keyboard_alone_opens_an_event(page: Page, site: str) -> None:
    open_explorer(page, f"{site}/")
    first = page.locator("#event-list a[data-id]").first

    for _ in range(100):
        page.keyboard.press("Tab")
        if first.evaluate("link => link === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the event list")
    page.keyboard.press("Enter")
    expect(page.locator("#event-dialog")).to_be_visible()
    expect(page.locator("#event-dialog button")).to_be_focused()


def test_page_fits_a_phone_screen(page: Page, site: str, artifacts: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_explorer(page, f"{site}/")

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    for selector in ("#map", "#chart canvas", "#event-list"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["width"] <= 390
    page.screenshot(path=artifacts / "explorer-phone.png", full_page=True)


def test_page_has_no_serious_accessibility_violations(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    axe = Path(request.config.rootpath) / "app/explorer/node_modules/axe-core/axe.min.js"
    # axe is injected as an inline script, which the page's policy rightly refuses.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        open_explorer(page, f"{site}/")
        page.add_script_tag(path=axe)
        assert serious_violations(page) == []
        page.locator("#event-list a[data-id]").first.click()
        expect(page.locator("#event-dialog table").first).to_be_visible()
        assert serious_violations(page) == []
    finally:
        context.close()


def serious_violations(page: Page) -> list[str]:
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
