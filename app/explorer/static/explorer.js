// Sitrep explorer: reads the public API and draws a map, a weekly timeline and a list.
// The page's query string is the filter: the same string works on /v1/events.
"use strict";

(() => {
  const PAGE_SIZE = 1000; // the API's largest page
  const MAP_CAP = 5000; // events drawn at most; the status line says when there are more
  const LIST_STEP = 100;
  // Paging and output parameters belong to /v1/events only; /v1/stats refuses them.
  const EVENTS_ONLY = ["limit", "cursor", "format", "sort"];

  const form = document.getElementById("filters");
  const statusLine = document.getElementById("status");
  const results = document.getElementById("results");
  const list = document.getElementById("event-list");
  const showMore = document.getElementById("show-more");
  const dialog = document.getElementById("event-dialog");
  const detail = document.getElementById("event-detail");
  const chartBox = document.getElementById("chart");
  const chartSummary = document.getElementById("chart-summary");
  const placeInput = document.getElementById("place");
  const placeOptions = document.getElementById("place-options");
  const formFields = new Set(Array.from(form.elements, (element) => element.name).filter(Boolean));

  let loading = 0; // bumps on every load, so a slow answer to an old query is dropped
  let loadedSearch = null; // the query string last loaded
  let events = [];
  let shown = 0;
  let chart = null;

  // ---- small helpers ----

  /** An element with attributes and children (strings become text, never HTML). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== "") {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  class ApiError extends Error {
    constructor(problem, status) {
      const fields = (problem && problem.errors) || [];
      const named = fields.map((e) => `${e.loc[e.loc.length - 1]}: ${e.msg}`).join("; ");
      super(named || (problem && problem.detail) || `The API answered ${status}.`);
    }
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(body, response.status);
    return body;
  }

  function say(text, isError = false) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", isError);
  }

  const number = new Intl.NumberFormat("en");

  function deaths(event) {
    return (event.fatalities && event.fatalities.best) || 0;
  }

  function placeLabel(location) {
    return [location.name, location.admin1, location.country].filter(Boolean).join(", ");
  }

  // ---- the query string ----

  /** The page's filters: the form's fields, plus any other parameter the link carried. */
  function queryFromForm() {
    const params = new URLSearchParams(location.search);
    for (const name of formFields) params.delete(name);
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim()) params.set(name, String(value).trim());
    }
    return params;
  }

  function fillForm(params) {
    for (const name of formFields) {
      const field = form.elements[name];
      const value = params.get(name) || "";
      if (field.tagName === "SELECT" && value && !Array.from(field.options).some((o) => o.value === value)) {
        field.append(el("option", { value }, value));
      }
      field.value = value;
    }
  }

  function withParams(path, params, extra = {}) {
    const all = new URLSearchParams(params);
    for (const [name, value] of Object.entries(extra)) all.set(name, value);
    const text = all.toString();
    return text ? `${path}?${text}` : path;
  }

  function statsQuery(params) {
    const stats = new URLSearchParams(params);
    for (const name of EVENTS_ONLY) stats.delete(name);
    return stats;
  }

  // ---- map ----

  let map = null;
  let cluster = null;

  async function setUpMap() {
    map = L.map("map", { worldCopyJump: true, minZoom: 1, maxZoom: 12 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Outlines: Natural Earth");
    map.setView([30, 20], 2);
    cluster = L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false });
    map.addLayer(cluster);
    const world = await getJSON("/static/vendor/world-atlas/countries-50m.json");
    L.geoJSON(topojson.feature(world, world.objects.countries), {
      interactive: false,
      style: { color: "#9aa3ad", weight: 0.8, fillColor: "#f7f4ec", fillOpacity: 1 },
    }).addTo(map).bringToBack();
  }

  function drawMap(items) {
    cluster.clearLayers();
    const markers = [];
    for (const event of items) {
      const { latitude, longitude } = event.location;
      if (latitude === null || longitude === null) continue;
      const size = Math.min(40, 12 + 4 * Math.sqrt(deaths(event)));
      const marker = L.marker([latitude, longitude], {
        icon: L.divIcon({
          className: deaths(event) ? "event-dot" : "event-dot no-deaths",
          iconSize: [size, size],
        }),
        title: `${event.occurred_on}: ${event.title} (${deaths(event)} killed)`,
        keyboard: true,
        riseOnHover: true,
      });
      marker.on("click", () => openEvent(event.id));
      markers.push(marker);
    }
    cluster.addLayers(markers);
    document.getElementById("map").dataset.markers = String(markers.length);
    if (markers.length) {
      map.fitBounds(cluster.getBounds(), { padding: [30, 30], maxZoom: 8 });
    }
  }

  // ---- timeline ----

  function drawChart(buckets) {
    if (chart) chart.destroy();
    chart = null;
    const weeks = buckets.filter((b) => b.period);
    const totalEvents = weeks.reduce((sum, b) => sum + b.events, 0);
    const totalDeaths = weeks.reduce((sum, b) => sum + b.fatalities, 0);
    chartBox.dataset.weeks = String(weeks.length);
    chartBox.dataset.events = String(totalEvents);
    if (!weeks.length) {
      chartSummary.textContent = "No events match these filters.";
      return;
    }
    const worst = weeks.reduce((a, b) => (b.fatalities > a.fatalities ? b : a));
    chartSummary.textContent =
      `${number.format(totalEvents)} events and ${number.format(totalDeaths)} deaths over ` +
      `${weeks.length} weeks from ${weeks[0].period} to ${weeks[weeks.length - 1].period}; ` +
      `the deadliest week began ${worst.period} (${number.format(worst.fatalities)} deaths).`;
    const data = [
      weeks.map((b) => Date.parse(`${b.period}T00:00:00Z`) / 1000),
      weeks.map((b) => b.events),
      weeks.map((b) => b.fatalities),
    ];
    chart = new uPlot(
      {
        width: Math.max(chartBox.clientWidth, 280),
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
        scales: { x: { time: true }, deaths: {} },
        series: [
          {},
          {
            label: "Events",
            stroke: "#0b5cad",
            fill: "rgba(11, 92, 173, 0.35)",
            paths: uPlot.paths.bars({ size: [0.9, 24] }),
            points: { show: false },
          },
          { label: "Deaths", stroke: "#a3161b", width: 2, scale: "deaths", points: { show: false } },
        ],
        axes: [
          {},
          { label: "Events", size: 50 },
          { label: "Deaths", scale: "deaths", side: 1, size: 50, grid: { show: false } },
        ],
      },
      data,
      chartBox,
    );
  }

  new ResizeObserver(() => {
    if (chart) chart.setSize({ width: Math.max(chartBox.clientWidth, 280), height: 220 });
  }).observe(chartBox);

  // ---- list ----

  function listItem(event) {
    const killed = deaths(event);
    return el(
      "li",
      {},
      el(
        "a",
        { href: `#event=${encodeURIComponent(event.id)}`, "data-id": event.id },
        el("span", { class: "title" }, event.title),
        el(
          "span",
          { class: "meta" },
          `${event.occurred_on} · ${placeLabel(event.location)} · ${event.sub_event_type || event.event_type}`,
          killed ? " · " : "",
          killed ? el("span", { class: "deaths" }, `${number.format(killed)} killed`) : "",
        ),
      ),
    );
  }

  function drawList(reset) {
    if (reset) {
      list.replaceChildren();
      shown = 0;
    }
    const next = events.slice(shown, shown + LIST_STEP);
    list.append(...next.map(listItem));
    shown += next.length;
    showMore.hidden = shown >= events.length;
  }

  showMore.addEventListener("click", () => drawList(false));

  // ---- loading ----

  function setDownloads(params) {
    const plain = new URLSearchParams(params);
    plain.delete("format");
    document.getElementById("download-csv").href = withParams("/v1/events", plain, { format: "csv" });
    document.getElementById("download-geojson").href = withParams("/v1/events", plain, { format: "geojson" });
    document.getElementById("download-json").href = withParams("/v1/events", plain);
  }

  async function fetchEvents(params, ticket) {
    const found = [];
    let url = withParams("/v1/events", params, { limit: String(PAGE_SIZE) });
    let more = false;
    while (url) {
      const page = await getJSON(url);
      if (ticket !== loading) return null;
      found.push(...page.items);
      more = Boolean(page.next_cursor);
      url = more && found.length < MAP_CAP
        ? withParams("/v1/events", params, { limit: String(PAGE_SIZE), cursor: page.next_cursor })
        : null;
    }
    return { found, more };
  }

  async function load() {
    const ticket = ++loading;
    loadedSearch = location.search;
    const params = new URLSearchParams(location.search);
    setDownloads(params);
    results.setAttribute("aria-busy", "true");
    say("Loading events…");
    try {
      const [listed, stats] = await Promise.all([
        fetchEvents(params, ticket),
        getJSON(withParams("/v1/stats", statsQuery(params), { interval: "week", fill: "true" })),
      ]);
      if (ticket !== loading || listed === null) return;
      events = listed.found;
      drawMap(events);
      drawList(true);
      drawChart(stats.buckets);
      const count = number.format(events.length);
      say(
        listed.more
          ? `Showing the first ${count} matching events; narrow the filters or download them all.`
          : `${count} matching event${events.length === 1 ? "" : "s"}.`,
      );
    } catch (error) {
      if (ticket !== loading) return;
      say(`Could not load events: ${error.message}`, true);
    } finally {
      if (ticket === loading) results.removeAttribute("aria-busy");
    }
  }

  function apply() {
    const params = queryFromForm();
    const search = params.toString() ? `?${params}` : "";
    if (search !== location.search) {
      history.pushState(null, "", `${location.pathname}${search}`);
      load();
    }
  }

  form.addEventListener("submit", (submit) => {
    submit.preventDefault();
    apply();
  });
  form.addEventListener("change", apply);
  window.addEventListener("popstate", () => {
    if (location.search === loadedSearch) return; // only the #event fragment moved
    fillForm(new URLSearchParams(location.search));
    load();
  });

  // ---- place autocomplete ----

  let suggestTimer = 0;
  placeInput.addEventListener("input", () => {
    clearTimeout(suggestTimer);
    const text = placeInput.value.trim();
    if (text.length < 2) return;
    suggestTimer = setTimeout(async () => {
      try {
        const found = await getJSON(withParams("/v1/places", { q: text, limit: "8" }));
        placeOptions.replaceChildren(
          ...found.items.map((p) => el("option", { value: p.name }, placeLabel(p))),
        );
      } catch {
        placeOptions.replaceChildren(); // a suggestion is a convenience; the filter itself reports errors
      }
    }, 200);
  });

  // ---- one event ----

  function figures(label, value) {
    if (!value || value.best === null) return null;
    const range = value.low !== value.high ? ` (claims range ${value.low}–${value.high})` : "";
    return el("p", { class: "figures" }, `${label}: ${number.format(value.best)}${range}`);
  }

  function claimedCount(claim) {
    const words = { at_least: "at least ", more_than: "more than ", approx: "about ", at_most: "at most " };
    return `${words[claim.qualifier] || ""}${number.format(claim.count)}`;
  }

  function table(caption, headings, rows) {
    if (!rows.length) return null;
    return el(
      "table",
      {},
      el("caption", { class: "visually-hidden" }, caption),
      el("thead", {}, el("tr", {}, headings.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c ?? "—"))))),
    );
  }

  function section(title, ...content) {
    const body = content.flat().filter(Boolean);
    return body.length ? [el("h3", {}, title), ...body] : [];
  }

  function sourceItem(source) {
    const safe = source.url && /^https?:\/\//i.test(source.url);
    const name = safe ? el("a", { href: source.url, rel: "noopener noreferrer" }, source.name) : source.name;
    const about = [source.kind, source.published_on].filter(Boolean).join(", ");
    return el("li", {}, name, about ? ` (${about})` : "");
  }

  function historyItem(revision) {
    const who = revision.key_name ? ` by ${revision.key_name}` : "";
    const what = revision.changed_fields.length ? `: ${revision.changed_fields.join(", ")}` : "";
    const when = revision.changed_at.slice(0, 16).replace("T", " ");
    return el("li", {}, `Version ${revision.version}, ${revision.action} ${when} UTC${who}${what}`);
  }

  function renderEvent(event, revisions) {
    const loc = event.location;
    return [
      el("h2", { id: "event-title" }, event.title),
      el(
        "p",
        { class: "meta" },
        `${event.occurred_on}${event.date_precision !== "day" ? ` (to the ${event.date_precision})` : ""} · `,
        `${event.event_type}${event.sub_event_type ? ` — ${event.sub_event_type}` : ""} · ${placeLabel(loc)}`,
        event.status !== "published" ? ` · ${event.status}` : "",
      ),
      event.description ? el("p", {}, event.description) : null,
      figures("Killed", event.fatalities),
      figures("Injured", event.injured),
      section(
        "Casualty claims",
        table(
          "Casualty claims and who made each",
          ["Kind", "Group", "Count", "Claimed by"],
          event.casualties.map((c) => [c.kind, c.group, claimedCount(c), c.claimed_by]),
        ),
      ),
      section(
        "Actors",
        table(
          "Actors",
          ["Actor", "Role", "Attribution"],
          event.actors.map((a) => [
            a.name,
            a.role,
            a.attribution ? `${a.attribution}${a.attributed_by ? ` by ${a.attributed_by}` : ""}` : null,
          ]),
        ),
      ),
      section(
        "Munitions",
        table(
          "Munitions",
          ["Type", "Launched", "Intercepted", "Claimed by"],
          event.munitions.map((m) => [m.type, m.launched, m.intercepted, m.claimed_by]),
        ),
      ),
      event.damage.length ? section("Damage", el("p", {}, event.damage.join(", ").replaceAll("_", " "))) : [],
      section("Sources", event.sources.length ? el("ul", {}, event.sources.map(sourceItem)) : null),
      section("History", el("ul", {}, revisions.map(historyItem))),
      el("p", {}, el("a", { href: `/v1/events/${encodeURIComponent(event.id)}` }, "This event as JSON")),
    ];
  }

  async function openEvent(id) {
    const hash = `#event=${encodeURIComponent(id)}`;
    if (location.hash !== hash) history.replaceState(null, "", hash);
    detail.replaceChildren(el("h2", { id: "event-title" }, "Loading event…"));
    if (!dialog.open) dialog.showModal();
    try {
      const path = `/v1/events/${encodeURIComponent(id)}`;
      const [event, revisions] = await Promise.all([getJSON(path), getJSON(`${path}/history`)]);
      detail.replaceChildren(...renderEvent(event, revisions.items).flat().filter(Boolean));
    } catch (error) {
      detail.replaceChildren(el("h2", { id: "event-title" }, "Event not shown"), el("p", {}, error.message));
    }
  }

  function eventFromHash() {
    const match = /^#event=(.+)$/.exec(location.hash);
    if (match) openEvent(decodeURIComponent(match[1]));
  }

  dialog.addEventListener("close", () => {
    history.replaceState(null, "", `${location.pathname}${location.search}`);
  });
  list.addEventListener("click", (click) => {
    const link = click.target.closest("a[data-id]");
    if (!link) return;
    click.preventDefault();
    openEvent(link.dataset.id);
  });
  window.addEventListener("hashchange", eventFromHash);

  // ---- start ----

  setUpMap()
    .catch((error) => say(`Could not draw the map outlines: ${error.message}`, true))
    .then(load)
    .then(eventFromHash);
})();
