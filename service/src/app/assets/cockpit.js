import { api, el, say, whoami, logout, STATUS_WORDS } from "/app/assets/common.js";
import { chart } from "/app/assets/chart.js";

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
  const courier = filters.find((f) => f.dim === "courier");
  document.querySelector("#cube tbody").replaceChildren(...r.rows.map((x) => {
    if (by === "day" && courier) {
      return row(x.label, x.measures, el("button", { type: "button", class: "link day-link",
        "aria-label": `${courier.label} on ${x.label}: the stops`, text: x.label,
        onclick: () => courierDay(courier.value, courier.label, x.value) }));
    }
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
  if (!(by === "day" && courier)) document.getElementById("courier-day").hidden = true;
  document.body.dataset.ready = "1";
}

function refresh() {
  load().catch((e) => say("The figures could not be loaded: " + e.message));
  loadTrend().catch((e) => say("The trend could not be loaded: " + e.message));
  loadWatch().catch((e) => say("The alerts could not be loaded: " + e.message));
}

/** One courier's stops of one day, as the store's round has them. */
async function courierDay(courier, name, day) {
  try {
    const r = await api(`/app/api/cockpit/round?courier=${encodeURIComponent(courier)}&day=${encodeURIComponent(day)}`);
    const box = document.getElementById("courier-day");
    box.hidden = false;
    box.dataset.courier = String(r.courier);
    box.dataset.day = r.day;
    document.getElementById("courier-day-title").textContent = `${r.name} on ${r.day}`;
    const f = r.figures;
    document.getElementById("courier-day-figures").textContent =
      `${f.stops} stops: ${f.delivered} delivered, ${f.failed} failed, ${f.left} left, ${f.on_time} on time.`;
    document.getElementById("courier-day-caption").textContent = `The stops in route order`;
    document.querySelector("#courier-stops tbody").replaceChildren(...r.stops.map((s, i) =>
      el("tr", { "data-household": s.household, "data-status": s.status },
        el("td", { text: String(i + 1) }), el("th", { scope: "row", text: s.address }),
        el("td", { text: s.eta || "–" }), el("td", { text: STATUS_WORDS[s.status] || s.status }),
        el("td", { text: String(s.orders.reduce((a, o) => a + o.quantity, 0)) }))));
    box.scrollIntoView({ block: "nearest" });
  } catch (e) {
    say("The courier's day could not be loaded: " + e.message);
  }
}

async function loadTrend() {
  const params = new URLSearchParams();
  const from = document.getElementById("from").value, to = document.getElementById("to").value;
  if (from) params.set("from", from);
  if (to) params.set("to", to);
  const r = await api("/app/api/cockpit/trend?" + params);
  const dates = r.days.map((d) => d.day);
  document.getElementById("trend").replaceChildren(chart({
    dates,
    series: [
      { name: "delivered", values: r.days.map((d) => d.measures.delivered) },
      { name: "on time", values: r.days.map((d) => d.measures.on_time) },
      { name: "failed", values: r.days.map((d) => d.measures.failed) },
      { name: "units wasted", values: r.days.map((d) => d.wasted) },
    ],
    title: `Delivered, on time, failed and units wasted per day, ${r.from} to ${r.to} (the table below has the numbers)`,
    yLabel: "per day",
    width: document.getElementById("trend").clientWidth,
  }));
  document.querySelector("#trend-table tbody").replaceChildren(...r.days.map((d) =>
    el("tr", { "data-day": d.day }, el("th", { scope: "row", text: d.day }),
      ...[d.measures.delivered, d.measures.failed, d.measures.on_time, d.wasted].map((n) => el("td", { text: String(n) })))));
}

const WATCH_WORDS = {
  low_on_time: (w) => `${w.station_name}: on time ${Math.round(w.rate * 100)} % of ${w.promised} promised deliveries.`,
  unaccounted: (w) => `${w.station_name}: ${w.orders} orders of ${w.day} have no outcome.`,
  stock_drift: (w) => `${w.station_name}, lot ${w.lot}: stored ${w.stored.on_hand} on hand and ${w.stored.in_vehicles} in vehicles, the ledger says ${w.recounted.on_hand} and ${w.recounted.in_vehicles}.`,
  complaint_open: (w) => `Complaint ${w.complaint} open for ${w.open_hours} hours.`,
};

async function loadWatch() {
  const r = await api("/app/api/cockpit/watch");
  document.getElementById("watch").replaceChildren(...(r.watch.length
    ? r.watch.map((w) => el("li", { "data-kind": w.kind }, WATCH_WORDS[w.kind] ? WATCH_WORDS[w.kind](w) : w.kind))
    : [el("li", { class: "empty", text: "Nothing needs a look." })]));
}

const SEGMENT_WORDS = { loyal: "Loyal", new: "New", occasional: "Occasional", at_risk: "At risk", lapsed: "Lapsed" };
const pct = (n, d) => (d ? `${n} of ${d} (${Math.round((n / d) * 100)} %)` : "–");

const PERIOD_WORDS = { month: "a month", quarter: "a quarter", year: "a year" };

/** Money from cents, two decimals. */
const money = (cents) => (cents / 100).toFixed(2);

/** A package in words: product, size, pack and period. */
function packageWords(k, names) {
  const period = k.period === "deliveries" ? `${k.deliveries} deliveries` : PERIOD_WORDS[k.period] || k.period;
  return `${names.get(k.product) || k.product} ${k.size_ml} ml` +
    (k.pack_units > 1 ? ` × ${k.pack_units}` : "") + `, ${period}`;
}

/** Shows the fields of the offer kind chosen. */
function offerKind() {
  const kind = document.getElementById("promo-offer").value;
  document.getElementById("offer-extra").hidden = kind !== "extra";
  document.getElementById("offer-subscribe").hidden = kind !== "subscribe";
}

async function loadPromotions() {
  const r = await api("/app/api/cockpit/promotions");
  document.getElementById("segments-summary").textContent = "Segments: " +
    Object.entries(r.segments).map(([k, n]) => `${SEGMENT_WORDS[k] || k} ${n}`).join(", ") + ".";
  const seg = document.getElementById("promo-segment");
  const keep = seg.value;
  seg.replaceChildren(...Object.entries(r.segments).map(([k, n]) =>
    el("option", { value: k, text: `${SEGMENT_WORDS[k] || k} (${n} customers)` })));
  if (keep) seg.value = keep;
  const prod = document.getElementById("promo-product");
  if (!prod.options.length) prod.replaceChildren(...r.products.map((p) => el("option", { value: p.id, text: p.name })));
  const names = new Map(r.products.map((p) => [p.id, p.name]));
  const packages = new Map(r.packages.map((k) => [k.id, k]));
  const pkg = document.getElementById("promo-package");
  if (!pkg.options.length) {
    pkg.replaceChildren(...r.packages.map((k) => el("option", { value: k.id, "data-price": k.price_cents,
      text: packageWords(k, names) + ` (list price ${money(k.price_cents)})` })));
    const price = document.getElementById("promo-price");
    if (!price.value && r.packages.length) price.value = (r.packages[0].price_cents / 100).toFixed(2);
  }
  for (const id of ["promo-from", "promo-to"]) {
    const i = document.getElementById(id);
    if (!i.value) i.value = r.day;
  }
  document.querySelector("#promotions tbody").replaceChildren(...r.promotions.map((p) => {
    const c = p.conversion;
    const offer = p.offer.offer === "extra"
      ? `${names.get(p.offer.product) || p.offer.product} as an extra, ${p.offer.free_units} free`
      : `subscription to ${packages.has(p.offer.package) ? packageWords(packages.get(p.offer.package), names)
        : "package " + p.offer.package} at ${money(p.offer.price_cents)}` +
        (packages.has(p.offer.package) ? ` (list ${money(packages.get(p.offer.package).price_cents)})` : "");
    return el("tr", { id: "promotion-" + p.id, "data-targeted": c.targeted, "data-targeted-taken": c.targeted_taken,
        "data-holdout": c.holdout, "data-holdout-taken": c.holdout_taken },
      el("th", { scope: "row", text: String(p.id) }), el("td", { text: offer }),
      el("td", { text: SEGMENT_WORDS[p.segment] || p.segment }), el("td", { text: `${p.valid_from} to ${p.valid_to}` }),
      el("td", { class: "taken", text: p.pushed ? pct(c.targeted_taken, c.targeted) : "not pushed" }),
      el("td", { text: p.pushed ? pct(c.holdout_taken, c.holdout) : "–" }),
      el("td", {}, el("button", { type: "button", class: "push", "aria-label": `Push promotion ${p.id}`,
        text: p.pushed ? "Push again" : "Push", onclick: () => push(p.id) })));
  }));
}

async function push(id) {
  try {
    const r = await api(`/app/api/cockpit/promotions/${id}/push`, { method: "POST" });
    await loadPromotions();
    say(`Promotion ${id} pushed: ${r.targeted} customers told, ${r.held_out} held out, ${r.couriers} couriers told, ${r.enqueued} new messages.`, "ok");
  } catch (e) {
    say("Not pushed: " + e.message);
  }
}

async function main() {
  const me = await whoami();
  if (me.role === "courier" || me.role === "customer") {
    location.assign(me.home);
    return;
  }
  document.getElementById("query").addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
  document.getElementById("assign-segments").addEventListener("click", async () => {
    try {
      const r = await api("/app/api/cockpit/segments", { method: "POST" });
      await loadPromotions();
      say(`Segments recomputed as of ${r.as_of}.`, "ok");
    } catch (e) {
      say("Segments not recomputed: " + e.message);
    }
  });
  document.getElementById("promo-offer").addEventListener("change", offerKind);
  document.getElementById("promo-package").addEventListener("change", (ev) => {
    const o = ev.target.selectedOptions[0];
    if (o) document.getElementById("promo-price").value = (Number(o.dataset.price) / 100).toFixed(2);
  });
  offerKind();
  document.getElementById("new-promotion").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const kind = document.getElementById("promo-offer").value;
      const offer = kind === "subscribe"
        ? { offer: "subscribe", package: Number(document.getElementById("promo-package").value),
          price_cents: Math.round(Number(document.getElementById("promo-price").value) * 100) }
        : { offer: "extra", product: Number(document.getElementById("promo-product").value),
          free_units: Number(document.getElementById("promo-free").value) };
      const p = await api("/app/api/cockpit/promotions", { method: "POST", body: {
        ...offer,
        valid_from: document.getElementById("promo-from").value,
        valid_to: document.getElementById("promo-to").value,
        segment: document.getElementById("promo-segment").value,
        holdout_pct: Number(document.getElementById("promo-holdout").value),
      } });
      await loadPromotions();
      say(`Promotion ${p.id} created for the ${p.segment} segment: push it to tell them.`, "ok");
    } catch (e) {
      say("Not created: " + e.message);
    }
  });
  refresh();
  loadPromotions().catch((e) => say("The promotions could not be loaded: " + e.message));
}

main();
