import { api, el, say, whoami, logout, STATUS_WORDS, REASON_WORDS } from "/app/assets/common.js";
import { StationMap, PALETTE } from "/app/assets/map.js";

document.getElementById("logout").addEventListener("click", logout);

// When each household's change reached the screen (ms since 1970): read by the tests.
window.milkrunApplied = {};

let map = null;
let colour = new Map();
let names = new Map();

const KPI_WORDS = [
  ["stops", "Stops"], ["done", "Done"], ["left", "Left"], ["delivered", "Delivered"],
  ["failed", "Failed"], ["on_time", "On time"], ["unassigned", "Unassigned"],
];

function kpis(f) {
  const dl = document.getElementById("kpis");
  dl.replaceChildren(...KPI_WORDS.flatMap(([k, w]) => [
    el("dt", { text: w }), el("dd", { id: "kpi-" + k, text: String(f[k]) })]));
}

function legend(board) {
  const ul = document.getElementById("legend");
  ul.replaceChildren(
    ...Object.entries(STATUS_WORDS).map(([s, w]) =>
      el("li", {}, el("span", { class: "swatch dot-" + s, "aria-hidden": "true" }), w)),
    ...board.couriers.filter((c) => colour.has(c.id)).map((c) =>
      el("li", {}, el("span", { class: "line", style: null, "data-colour": colour.get(c.id), "aria-hidden": "true" }),
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

function couriers(board) {
  document.querySelector("#couriers tbody").replaceChildren(
    ...board.couriers.filter((c) => c.figures.stops > 0).map((c) => courierRow(c, c.figures)));
}

function feedItem(stop) {
  const who = names.get(stop.courier) || `courier ${stop.courier}`;
  const failed = stop.orders.find((o) => o.reason);
  const what = stop.status === "failed"
    ? `could not deliver (${REASON_WORDS[failed?.reason] || failed?.reason})`
    : (STATUS_WORDS[stop.status] || stop.status).toLowerCase();
  const li = el("li", { class: "status-" + stop.status },
    el("time", { text: stop.done_at || "" }), ` ${who}: ${stop.address} — ${what}`);
  const feed = document.getElementById("feed");
  feed.prepend(li);
  while (feed.children.length > 200) feed.lastChild.remove();
}

async function load() {
  const board = await api("/app/api/board");
  document.getElementById("title").textContent =
    `${board.stations.map((s) => s.name).join(" · ") || "Station"} · ${board.day}`;
  names = new Map(board.couriers.map((c) => [c.id, c.name]));
  const routed = [...new Set(board.stops.map((s) => s.courier).filter((c) => c !== null))].sort((a, b) => a - b);
  colour = new Map(routed.map((c, i) => [c, PALETTE[i % PALETTE.length]]));
  kpis(board.figures);
  if (board.stops.length > 0) {
    map = new StationMap(document.getElementById("map"), board.stops);
    map.drawRoutes(board.stops, (c) => colour.get(c) || "#000");
    api("/app/api/roads").then((g) => map.drawRoads(g)).catch((e) => say("The roads could not be loaded: " + e.message));
  } else {
    document.getElementById("map").textContent = "No stops planned today.";
  }
  legend(board);
  couriers(board);
  document.getElementById("feed").replaceChildren();
  board.stops.filter((s) => s.status !== "pending")
    .sort((a, b) => (a.done_at || "").localeCompare(b.done_at || ""))
    .slice(-50)
    .forEach(feedItem);
  document.body.dataset.ready = "1";
}

function listen() {
  const live = document.getElementById("live");
  const source = new EventSource("/app/api/board/events");
  source.addEventListener("ready", () => { live.textContent = "live"; live.className = "live on"; });
  source.addEventListener("stop", (ev) => {
    const { stop, figures, courier } = JSON.parse(ev.data);
    if (map) map.update(stop);
    kpis(figures);
    const row = document.getElementById("courier-" + courier.id);
    if (row) row.replaceWith(courierRow({ id: courier.id, name: names.get(courier.id) || String(courier.id) }, courier.figures));
    feedItem(stop);
    requestAnimationFrame(() => { window.milkrunApplied[stop.household] = Date.now(); });
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
  try {
    await load();
    listen();
  } catch (e) {
    say("The board could not be loaded: " + e.message);
  }
}

main();
