import { api, el, say, whoami, logout } from "/app/assets/common.js";

document.getElementById("logout").addEventListener("click", logout);

const NEXT = { region: "station", station: "courier", courier: "day", product: "day", segment: "day" };
const WORDS = { region: "Region", station: "Station", courier: "Courier", product: "Product", segment: "Segment", day: "Day" };
const filters = []; // [{dim, value, label}]

function rate(m) {
  return m.on_time_rate === null ? "–" : `${Math.round(m.on_time_rate * 100)} %`;
}

function row(key, m, drill) {
  return el("tr", {},
    el("th", { scope: "row" }, drill || key),
    ...[m.orders, m.delivered, m.failed, m.pending].map((n) => el("td", { text: String(n) })),
    el("td", { text: rate(m) }));
}

function trend(rows) {
  const box = document.getElementById("trend");
  box.replaceChildren();
  if (document.getElementById("by").value !== "day" || rows.length === 0) return;
  const max = Math.max(1, ...rows.map((r) => r.measures.orders));
  const w = 40 * rows.length, h = 120;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h + 20}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Orders and deliveries per day");
  rows.forEach((r, i) => {
    for (const [k, cls, dx] of [["orders", "bar-orders", 4], ["delivered", "bar-delivered", 20]]) {
      const bh = (r.measures[k] / max) * h;
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", i * 40 + dx); rect.setAttribute("y", h - bh);
      rect.setAttribute("width", 14); rect.setAttribute("height", bh);
      rect.setAttribute("class", cls);
      svg.append(rect);
    }
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", i * 40 + 4); t.setAttribute("y", h + 14);
    t.setAttribute("class", "bar-label");
    t.textContent = r.label.slice(5);
    svg.append(t);
  });
  box.append(svg);
}

async function load() {
  const by = document.getElementById("by").value;
  const params = new URLSearchParams({ by });
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  for (const f of filters) params.set(f.dim, f.value);
  const r = await api("/app/api/cube?" + params);
  document.getElementById("from").value = r.from;
  document.getElementById("to").value = r.to;
  document.getElementById("key-head").textContent = WORDS[by];
  document.getElementById("caption").textContent =
    `Orders ${r.from} to ${r.to} by ${WORDS[by].toLowerCase()}` +
    (filters.length ? ", " + filters.map((f) => `${WORDS[f.dim].toLowerCase()} ${f.label}`).join(", ") : "");
  const next = NEXT[by];
  document.querySelector("#cube tbody").replaceChildren(...r.rows.map((x) => {
    const canDrill = next && x.value !== null && !filters.some((f) => f.dim === by);
    const drill = canDrill
      ? el("button", { type: "button", class: "link", "aria-label": `${x.label}: by ${WORDS[next].toLowerCase()}`,
          text: x.label, onclick: () => { filters.push({ dim: by, value: x.value, label: x.label });
            document.getElementById("by").value = next; refresh(); } })
      : null;
    return row(x.label, x.measures, drill);
  }));
  document.querySelector("#cube tfoot").replaceChildren(row("Total", r.total));
  document.getElementById("filters").replaceChildren(...filters.map((f, i) =>
    el("li", {}, `${WORDS[f.dim]}: ${f.label} `,
      el("button", { type: "button", class: "quiet", "aria-label": `Remove the filter ${WORDS[f.dim]} ${f.label}`,
        text: "×", onclick: () => { filters.splice(i, 1); refresh(); } }))));
  trend(r.rows);
  document.body.dataset.ready = "1";
}

function refresh() {
  load().catch((e) => say("The figures could not be loaded: " + e.message));
}

async function main() {
  const me = await whoami();
  if (me.role === "courier" || me.role === "customer") {
    location.assign(me.home);
    return;
  }
  document.getElementById("query").addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
  refresh();
}

main();
