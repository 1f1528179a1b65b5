import { api, el, say, whoami, logout, STATUS_WORDS, REASON_WORDS } from "/app/assets/common.js";
import { StationMap, PALETTE } from "/app/assets/map.js";

document.getElementById("logout").addEventListener("click", logout);

// When each household's change reached the screen (ms since 1970): read by the tests.
window.milkrunApplied = {};
// The plan versions of the re-plans shown (in order): read by the tests.
window.milkrunReplans = [];

let map = null;
let colour = new Map();
let names = new Map();
let board = null;
let lastJam = null;
/** The station shown ("" for all), from the address's `?station=`. */
let station = new URLSearchParams(location.search).get("station") || "";

const KPI_WORDS = [
  ["stops", "Stops"], ["done", "Done"], ["left", "Left"], ["delivered", "Delivered"],
  ["failed", "Failed"], ["on_time", "On time"], ["unassigned", "Unassigned"],
];

const ALERT_WORDS = [
  ["late", "Late (ETA past the window)"], ["failed_waiting", "Failed, waiting for a make-up"],
  ["unassigned", "Without a courier"],
];

function kpis(f) {
  const dl = document.getElementById("kpis");
  dl.replaceChildren(...KPI_WORDS.flatMap(([k, w]) => [
    el("dt", { text: w }), el("dd", { id: "kpi-" + k, text: String(f[k]) })]));
}

function alerts(a) {
  const dl = document.getElementById("alerts");
  dl.replaceChildren(el("dt", { text: "Alerts:" }), el("dd", { text: "" }),
    ...ALERT_WORDS.flatMap(([k, w]) => [
      el("dt", { text: w }),
      el("dd", { id: "alert-" + k, class: a[k] > 0 ? "hot" : null, text: String(a[k]) })]));
}

function legend(b) {
  const ul = document.getElementById("legend");
  ul.replaceChildren(
    ...Object.entries(STATUS_WORDS).map(([s, w]) =>
      el("li", {}, el("span", { class: "swatch dot-" + s, "aria-hidden": "true" }), w)),
    el("li", { id: "legend-station" }, el("span", { class: "swatch station-swatch", "aria-hidden": "true" }), "Station"),
    el("li", { id: "legend-position" }, el("span", { class: "swatch pos-swatch", "aria-hidden": "true" }), "Courier's last position"),
    el("li", {}, el("span", { class: "swatch jam-swatch", "aria-hidden": "true" }), "Reported jam"),
    ...b.couriers.filter((c) => colour.has(c.id)).map((c) =>
      el("li", {}, el("span", { class: "line", "data-colour": colour.get(c.id), "aria-hidden": "true" }),
        `${c.name} (courier ${c.id})`)));
  // Colours are set as properties, not inline style attributes (the content policy).
  for (const span of ul.querySelectorAll("[data-colour]")) span.style.background = span.dataset.colour;
}

const COURIER_COLUMNS = ["stops", "done", "left", "failed", "on_time"];

function courierRow(c, f) {
  const swatch = el("span", { class: "line", "aria-hidden": "true" });
  swatch.style.background = colour.get(c.id) || "#000";
  return el("tr", { id: "courier-" + c.id },
    el("th", { scope: "row" }, swatch, c.name),
    ...COURIER_COLUMNS.map((k) => el("td", { class: "n-" + k, text: String(f[k]) })));
}

function couriers(b) {
  document.querySelector("#couriers tbody").replaceChildren(
    ...b.couriers.filter((c) => c.figures.stops > 0).map((c) => courierRow(c, c.figures)));
}

function nameOf(c) {
  return c === null || c === undefined ? "no courier" : (names.get(c) || `courier ${c}`);
}

function feedItem(stop) {
  const failed = stop.orders.find((o) => o.reason);
  const what = stop.status === "failed"
    ? `could not deliver (${REASON_WORDS[failed?.reason] || failed?.reason})`
    : (STATUS_WORDS[stop.status] || stop.status).toLowerCase();
  feedPrepend(el("li", { class: "status-" + stop.status },
    el("time", { text: stop.done_at || "" }), ` ${nameOf(stop.courier)}: ${stop.address} — ${what}`));
}

function feedPrepend(li) {
  const feed = document.getElementById("feed");
  feed.prepend(li);
  while (feed.children.length > 200) feed.lastChild.remove();
}

/** A re-plan in the feed: what happened, which stops moved to whom, which lost their courier. */
function replanItem(r) {
  const address = new Map(r.stops.map((s) => [s.household, s.address]));
  const moved = r.moved.filter((m) => m.to !== null);
  const lost = r.unassigned;
  const li = el("li", { class: "replan", "data-version": r.plan_version },
    el("time", { text: r.at }),
    ` Re-plan (${r.kind}): ${r.detail}. ${moved.length} stops moved, ${lost.length} without a courier.`);
  const ul = el("ul", {});
  for (const m of moved) {
    ul.append(el("li", { class: "moved", "data-household": m.household },
      `${address.get(m.household) || "household " + m.household}: ${nameOf(m.from)} → ${nameOf(m.to)}`));
  }
  for (const u of lost) {
    ul.append(el("li", { class: "unassigned", "data-household": u.household },
      `${address.get(u.household) || "household " + u.household}: no courier — ${u.note || ""}`));
  }
  li.append(ul);
  feedPrepend(li);
}

function pickStations(b) {
  const pick = document.getElementById("station-pick");
  if (pick.options.length === 1) {
    for (const s of b.stations) pick.append(el("option", { value: String(s.id), text: s.name }));
    pick.value = station;
    pick.addEventListener("change", () => {
      station = pick.value;
      const url = new URL(location.href);
      if (station) url.searchParams.set("station", station); else url.searchParams.delete("station");
      history.replaceState(null, "", url);
      refresh().catch((e) => say("The board could not be loaded: " + e.message));
    });
  }
}

function controls(b) {
  const box = document.getElementById("controls-box");
  if (b.role !== "dispatcher" && b.role !== "admin") {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const ctl = document.getElementById("ctl-station");
  const sited = b.stations.filter((s) => s.lat !== null);
  const keep = ctl.value || station;
  ctl.replaceChildren(...sited.map((s) => el("option", { value: String(s.id), text: s.name })));
  if (sited.some((s) => String(s.id) === keep)) ctl.value = keep;
  const bd = document.getElementById("bd-courier");
  const keepCourier = bd.value;
  bd.replaceChildren(...b.couriers.filter((c) => c.figures.left > 0).map((c) =>
    el("option", { value: String(c.id), text: `${c.name} (courier ${c.id})` })));
  if (keepCourier) bd.value = keepCourier;
  // An empty time is the pages' clock's now (`--app-clock-start`), shown here.
  document.getElementById("clock-now").textContent = b.now;
  const lat = document.getElementById("jam-lat"), lon = document.getElementById("jam-lon");
  if (!lat.value && sited.length > 0) {
    const s = sited.find((x) => String(x.id) === ctl.value) || sited[0];
    lat.value = s.lat.toFixed(5);
    lon.value = s.lon.toFixed(5);
  }
}

/** When a control applies, where it is not when it was reported (before the opening). */
function applies(r) {
  return r.applies_note ? ` It was ${r.applies_note}.` : "";
}

function wireControls() {
  document.getElementById("jam-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value;
    const body = {
      lat: Number(v("jam-lat")), lon: Number(v("jam-lon")), radius_m: Number(v("jam-radius")),
      factor: Number(v("jam-factor")), minutes: Number(v("jam-minutes")), at: v("jam-at"),
    };
    try {
      const r = await api(`/app/api/stations/${v("ctl-station")}/jam`, { method: "POST", body });
      lastJam = body;
      if (map) map.drawJam(lastJam);
      say(`Jam reported: ${r.moved.filter((m) => m.to !== null).length} stops moved, ` +
        `${r.unassigned.length} without a courier.${applies(r)}`, "ok");
    } catch (e) {
      say("The jam was not reported: " + e.message);
    }
  });
  document.getElementById("breakdown-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const courier = document.getElementById("bd-courier").value;
    const at = document.getElementById("bd-at").value;
    const sited = board.stations.filter((s) => s.lat !== null);
    const of = board.stops.find((s) => String(s.courier) === courier);
    const st = of ? of.station : (sited[0] || {}).id;
    try {
      const r = await api(`/app/api/stations/${st}/breakdown`,
        { method: "POST", body: { courier: Number(courier), at } });
      say(`Breakdown reported: ${r.moved.filter((m) => m.to !== null).length} stops moved to ` +
        `other couriers, ${r.unassigned.length} without a courier.${applies(r)}`, "ok");
    } catch (e) {
      say("The breakdown was not reported: " + e.message);
    }
  });
  document.getElementById("late-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value;
    try {
      const r = await api(`/app/api/stations/${v("ctl-station")}/late-order`, { method: "POST",
        body: { subscription: Number(v("late-subscription")), quantity: Number(v("late-quantity")), at: v("late-at") } });
      say(r.new_stop === false
        ? `Late order placed: household ${r.household} is on today's plan already; its stop now ` +
          `takes ${r.quantity} units (${r.moved.filter((m) => m.to !== null).length} stops moved, ` +
          `${r.unassigned.length} without a courier).${applies(r)}`
        : `Late order placed: ${r.moved.filter((m) => m.to !== null).length} stops placed or moved, ` +
          `${r.unassigned.length} without a courier.${applies(r)}`, "ok");
    } catch (e) {
      say("The late order was not placed: " + e.message);
    }
  });
  document.getElementById("map").addEventListener("click", (ev) => {
    if (!map || document.getElementById("controls-box").hidden) return;
    const [lat, lon] = map.latLonAt(ev.clientX, ev.clientY);
    document.getElementById("jam-lat").value = lat.toFixed(5);
    document.getElementById("jam-lon").value = lon.toFixed(5);
  });
}

/** Loads the board (of the picked station) and draws everything but the feed. */
async function refresh() {
  const query = station ? `?station=${encodeURIComponent(station)}` : "";
  const b = await api("/app/api/board" + query);
  board = b;
  const shown = b.station === null ? b.stations : b.stations.filter((s) => s.id === b.station);
  document.getElementById("title").textContent =
    `${shown.map((s) => s.name).join(" · ") || "Station"} · ${b.day}`;
  pickStations(b);
  names = new Map(b.couriers.map((c) => [c.id, c.name]));
  const routed = [...new Set(b.stops.map((s) => s.courier).filter((c) => c !== null))].sort((x, y) => x - y);
  colour = new Map(routed.map((c, i) => [c, PALETTE[i % PALETTE.length]]));
  kpis(b.figures);
  alerts(b.alerts);
  if (b.stops.length > 0) {
    map = new StationMap(document.getElementById("map"), b.stops, shown);
    map.drawRoutes(b.stops, (c) => colour.get(c) || "#000");
    map.drawStations(shown);
    map.drawPositions(b.positions.filter((p) => colour.has(p.courier) || !station),
      (c) => colour.get(c) || "#000", nameOf);
    map.drawJam(lastJam);
    api("/app/api/roads").then((g) => map.drawRoads(g)).catch((e) => say("The roads could not be loaded: " + e.message));
  } else {
    map = null;
    document.getElementById("map").textContent = "No stops planned today.";
  }
  legend(b);
  couriers(b);
  controls(b);
  document.body.dataset.ready = "1";
  return b;
}

async function load() {
  const b = await refresh();
  document.getElementById("feed").replaceChildren();
  b.stops.filter((s) => s.status !== "pending")
    .sort((x, y) => (x.done_at || "").localeCompare(y.done_at || ""))
    .slice(-50)
    .forEach(feedItem);
}

function listen() {
  const live = document.getElementById("live");
  const source = new EventSource("/app/api/board/events");
  source.addEventListener("ready", () => { live.textContent = "live"; live.className = "live on"; });
  source.addEventListener("stop", (ev) => {
    const { stop, figures, courier } = JSON.parse(ev.data);
    if (station && String(stop.station) !== station) return;
    if (map) {
      map.update(stop);
      if (stop.status !== "pending" && stop.courier !== null) {
        map.movePosition({ courier: stop.courier, household: stop.household, lat: stop.lat,
          lon: stop.lon, at: stop.done_at }, (c) => colour.get(c) || "#000", nameOf);
      }
    }
    if (!station && figures) kpis(figures);
    // A dispatcher bound to his stations gets no day-wide figures: his own are reloaded.
    else if (!station) refresh().catch((e) => say("The board could not be loaded: " + e.message));
    const row = document.getElementById("courier-" + courier.id);
    if (row) row.replaceWith(courierRow({ id: courier.id, name: nameOf(courier.id) }, courier.figures));
    feedItem(stop);
    requestAnimationFrame(() => { window.milkrunApplied[stop.household] = Date.now(); });
  });
  source.addEventListener("replan", async (ev) => {
    const r = JSON.parse(ev.data);
    if (station && String(r.station) !== station) return;
    replanItem(r);
    try {
      await refresh();
      requestAnimationFrame(() => { window.milkrunReplans.push(r.plan_version); });
    } catch (e) {
      say("The re-plan could not be shown: " + e.message);
    }
  });
  source.addEventListener("lagged", () => load().catch((e) => say(e.message)));
  source.onerror = async () => {
    live.textContent = "reconnecting…";
    live.className = "live off";
    if (source.readyState === EventSource.CLOSED) {
      try {
        await api("/app/api/me");
        say("The live feed stopped; reload the page.");
      } catch (e) {
        say(e.status === 401 ? e.message : "The live feed stopped: " + e.message);
      }
    }
  };
}

async function main() {
  const me = await whoami();
  if (me.role === "courier" || me.role === "customer") {
    location.assign(me.home);
    return;
  }
  wireControls();
  try {
    await load();
    listen();
  } catch (e) {
    say("The board could not be loaded: " + e.message);
  }
}

main();
