import { api, el, say, whoami, logout } from "/app/assets/common.js";
import { chart } from "/app/assets/chart.js";

document.getElementById("logout").addEventListener("click", logout);

let me = null;
let cal = null;
let month = null; // "YYYY-MM" shown

function shift(m, k) {
  let [y, mo] = m.split("-").map(Number);
  mo += k;
  while (mo < 1) { mo += 12; y -= 1; }
  while (mo > 12) { mo -= 12; y += 1; }
  return `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}`;
}

function selected() {
  return Number(document.getElementById("subscription").value);
}

/**
 * Asks for a change; the server's refusal (the cut-off) is shown in its words. A change
 * "from a day on" refused for its first day is offered again from the first open day.
 */
async function change(body, done) {
  try {
    await api(`/app/api/customers/${me.customer}/operations`,
      { method: "POST", body: { subscription: selected(), ...body } });
    await load(month);
    loadRecommendations().catch(() => {});
    say(done, "ok");
  } catch (e) {
    say("Not changed: " + e.message);
    const open = cal && cal.first_open;
    if (e.status === 409 && open && body.from && body.from < open) {
      const box = document.getElementById("message");
      box.append(" ", el("button", { type: "button", id: "retry-from-open",
        text: `Do it from ${open} instead`,
        onclick: () => change({ ...body, from: open,
          ...(body.to && body.to < open ? { to: open } : {}) }, done.replace(body.from, open)) }));
    }
  }
}

function render() {
  document.getElementById("title").textContent = `${cal.name}: my deliveries`;
  document.getElementById("month").textContent = cal.month;
  document.getElementById("cutoff").textContent =
    `Changes for a day close at ${cal.cutoff.at.slice(0, 5)}, ${cal.cutoff.days_before} day(s) before ` +
    `it (today is ${cal.today}, ${cal.now.slice(0, 5)}). A change after that is refused.`;
  document.getElementById("closed-note").textContent =
    `Days before ${cal.first_open} are closed to changes (marked “closed”); a change made now applies from ${cal.first_open} on.`;
  const select = document.getElementById("subscription");
  const keep = select.value;
  select.replaceChildren(...cal.subscriptions.map((s) =>
    el("option", { value: s.id, text: `#${s.id}: ${s.quantity} × ${s.product}` })));
  if (keep && cal.subscriptions.some((s) => String(s.id) === keep)) select.value = keep;
  const sub = selected();
  const byDate = new Map();
  for (const d of cal.deliveries.filter((d) => d.subscription === sub)) {
    if (!byDate.has(d.date)) byDate.set(d.date, []);
    byDate.get(d.date).push(d);
  }
  const first = new Date(cal.first + "T00:00:00Z");
  const lastDay = Number(cal.last.slice(8, 10));
  const offset = (first.getUTCDay() + 6) % 7; // Monday first
  const rows = [];
  let row = [];
  for (let i = 0; i < offset; i++) row.push(el("td", { class: "blank" }));
  for (let d = 1; d <= lastDay; d++) {
    const date = `${cal.month}-${String(d).padStart(2, "0")}`;
    const items = byDate.get(date) || [];
    const closed = date < cal.first_open;
    const cell = el("td", { id: "day-" + date, "data-date": date,
      class: [items.length ? "has" : "", closed ? "closed" : ""].join(" ").trim() },
      el("span", { class: "dnum", text: String(d) }));
    if (closed && items.length) {
      cell.append(el("span", { class: "lock", text: "closed",
        title: `Changes to ${date} closed at ${cal.cutoff.at.slice(0, 5)}, ${cal.cutoff.days_before} day(s) before.` }));
    }
    for (const it of items) {
      cell.append(el("span", { class: "qty " + it.line, text: `${it.quantity}`,
        title: `${it.quantity} × ${it.product}` }));
      if (it.line === "regular" && !closed) {
        cell.append(el("button", { type: "button", class: "skip", "aria-label": `Skip ${date}`,
          text: "Skip", onclick: () => change({ kind: "skip", date }, `Skipped ${date}.`) }));
      }
    }
    row.push(cell);
    if (row.length === 7) { rows.push(el("tr", {}, ...row)); row = []; }
  }
  if (row.length) rows.push(el("tr", {}, ...row));
  document.querySelector("#calendar tbody").replaceChildren(...rows);
  const options = () => cal.products.map((p) => el("option", { value: p.id, text: p.name }));
  for (const id of ["day-product", "from-product"]) {
    const sel = document.getElementById(id);
    const was = sel.value;
    sel.replaceChildren(...options());
    if (was) sel.value = was;
  }
  // No `min` on the date fields: a day past the cut-off is sent, and the server's refusal
  // says when the cut-off was and from when a change applies.
  document.body.dataset.firstOpen = cal.first_open;
  document.getElementById("subscriptions").replaceChildren(...cal.subscriptions.map((s) =>
    el("li", { id: "sub-" + s.id },
      `#${s.id}: ${s.quantity} × ${s.product}, from ${s.start}` +
        (s.term_end ? `, last delivery ${s.term_end}. ` : ", no end in sight. "),
      el("button", { type: "button", class: "renew", "aria-label": `Renew subscription ${s.id}`,
        text: "Renew", onclick: () => renew(s.id) }))));
}

/** Renews a subscription; the answer says from when. */
async function renew(id) {
  try {
    const r = await api(`/app/api/customers/${me.customer}/renew`, { method: "POST", body: { subscription: id } });
    await load(month);
    say(r.created ? `Renewed: subscription #${r.subscription} starts on ${r.start}.`
      : `Already renewed: subscription #${r.subscription} starts on ${r.start}.`, "ok");
  } catch (e) {
    say("Not renewed: " + e.message);
  }
}

/** Takes a subscription offer; the answer says from when, and the calendar shows it. */
async function takeOffer(promotion) {
  try {
    const r = await api(`/app/api/customers/${me.customer}/offers/${promotion}/take`, { method: "POST", body: {} });
    await load(month);
    await loadRecommendations();
    say(r.created ? `Subscribed: subscription #${r.subscription} starts on ${r.start}.`
      : `Already taken: subscription #${r.subscription} starts on ${r.start}.`, "ok");
  } catch (e) {
    say("The offer was not taken: " + e.message);
  }
}

const REC_WORDS = {
  offer: (r) => r.what.offer === "extra"
    ? `Offer: try ${r.what.product} as an extra` + (r.what.free_units ? ` (${r.what.free_units} free)` : "") + `, from ${r.from} to ${r.to}.`
    : `Offer: ${r.what.quantity} × ${r.what.product} ${r.what.days} from ${r.what.start}` +
      (r.what.deliveries ? `, ${r.what.deliveries} deliveries` : "") +
      (r.what.per_delivery_cents !== null ? ` at ${(r.what.per_delivery_cents / 100).toFixed(2)} a delivery` : "") +
      ` (${(r.what.price_cents / 100).toFixed(2)} in all); take it by ${r.to}.`,
  renew: (r) => `Your subscription #${r.subscription} ends on ${r.term_end}: renew it.`,
  quantity: (r) => r.why === "growing"
    ? `You take more each week: ${r.quantity} per delivery from ${r.from}?`
    : `You take less each week: ${r.quantity} per delivery from ${r.from}, rather than skipping?`,
};

async function loadRecommendations() {
  const r = await api(`/app/api/customers/${me.customer}/recommendations`);
  const items = r.recommendations.map((x, i) => {
    const act = x.action && (x.action.renew
      ? () => renew(x.action.renew)
      : x.action.take_offer ? () => takeOffer(x.action.take_offer)
      : () => change({ ...x.action, subscription: x.action.subscription || selected() }, "Done: " + REC_WORDS[x.kind](x)));
    return el("li", { id: "rec-" + i, "data-kind": x.kind, "data-promotion": x.promotion ?? null },
      REC_WORDS[x.kind](x) + " ",
      act ? el("button", { type: "button", class: "take", text: x.kind === "offer" ? "Take the offer" : x.kind === "renew" ? "Renew" : "Change it",
        onclick: act }) : null);
  });
  document.getElementById("recommendations").replaceChildren(...(items.length ? items
    : [el("li", { class: "empty", text: "Nothing to suggest today." })]));
}

const CLASS_WORDS = { steady: "steady", growing: "growing", declining: "declining", lapsing: "lapsing" };

async function loadUse() {
  const u = await api(`/app/api/customers/${me.customer}/consumption`);
  document.getElementById("use-summary").textContent =
    `${u.from} to ${u.to}: ${u.delivered} delivered, ${u.failed} failed, ${u.days_off} days off; ` +
    `about ${u.mean_units_per_week.toFixed(1)} units a week, ${CLASS_WORDS[u.class] || u.class}.`;
  document.querySelector("#use tbody").replaceChildren(...u.weeks.map((w) =>
    el("tr", {}, el("th", { scope: "row", text: w.start }), el("td", { text: String(w.units) }))));
  const svg = chart({
    dates: u.weeks.map((w) => w.start),
    series: u.products.map((p) => ({ name: p, values: u.weeks.map((w) => w.per_product[p] || 0) })),
    kind: "stacked",
    title: "Units delivered per week and product (the table below has the numbers)",
    yLabel: "units",
    width: document.getElementById("use-chart").clientWidth,
  });
  document.getElementById("use-chart").replaceChildren(svg);
}

const CATEGORY_WORDS = { late: "It came late", missing: "Nothing came", damaged: "Damaged or spoilt",
  wrong_product: "Wrong product or quantity", courier: "The courier", billing: "Billing", other: "Something else" };

async function loadComplaints() {
  const r = await api(`/app/api/customers/${me.customer}/complaints`);
  const select = document.getElementById("complaint-category");
  if (!select.options.length) {
    select.replaceChildren(...r.categories.map((k) => el("option", { value: k, text: CATEGORY_WORDS[k] || k })));
  }
  document.getElementById("complaints").replaceChildren(...r.complaints.map((k) =>
    el("li", { id: "complaint-" + k.id, "data-state": k.state },
      el("time", { text: k.filed_at }), ` ${CATEGORY_WORDS[k.category] || k.category}: ${k.text} — ${k.state}`)));
}

const stars = (n, max) => "★".repeat(n) + "☆".repeat(Math.max(0, max - n));

/** The delivered days of the last two weeks: rated ones show their stars, the others a control. */
async function loadRatings() {
  const r = await api(`/app/api/customers/${me.customer}/ratings`);
  const items = r.days.map((d) => {
    const key = `${d.household}-${d.date}`;
    const li = el("li", { id: "rate-" + key, "data-date": d.date, "data-household": d.household,
      "data-stars": d.stars ?? "" });
    if (d.stars !== null) {
      li.append(`${d.date}: delivered, rated ${stars(d.stars, r.max_stars)} (${d.stars} of ${r.max_stars})`);
      return li;
    }
    const id = "stars-" + key;
    const select = el("select", { id },
      ...Array.from({ length: r.max_stars }, (_, i) => r.max_stars - i)
        .map((n) => el("option", { value: n, text: `${stars(n, r.max_stars)} (${n})` })));
    const form = el("form", { class: "row rate", "aria-label": `Rate the delivery of ${d.date}` },
      el("label", { for: id, text: `${d.date}: delivered. Stars` }), select,
      el("button", { type: "submit", text: "Rate" }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      rate(d.household, d.date, Number(select.value));
    });
    li.append(form);
    return li;
  });
  document.getElementById("ratings").replaceChildren(...(items.length ? items
    : [el("li", { class: "empty", text: "Nothing delivered in the last two weeks." })]));
}

/** Rates one delivery; the server's refusal (rated already, not delivered) is shown in its words. */
async function rate(household, date, n) {
  try {
    await api(`/app/api/customers/${me.customer}/ratings`, { method: "POST", body: { household, date, stars: n } });
    say(`Thank you: the delivery of ${date} rated ${n} of 5.`, "ok");
  } catch (e) {
    say("Not rated: " + e.message);
  }
  loadRatings().catch((e) => say("Your deliveries could not be loaded: " + e.message));
}

async function load(m) {
  cal = await api(`/app/api/customers/${me.customer}/calendar` + (m ? `?month=${m}` : ""));
  month = cal.month;
  render();
  document.body.dataset.ready = "1";
}

async function main() {
  me = await whoami();
  if (me.role !== "customer") {
    location.assign(me.home);
    return;
  }
  document.getElementById("prev").addEventListener("click", () => load(shift(month, -1)).catch((e) => say(e.message)));
  document.getElementById("next").addEventListener("click", () => load(shift(month, 1)).catch((e) => say(e.message)));
  document.getElementById("subscription").addEventListener("change", render);
  document.getElementById("pause").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const from = document.getElementById("pause-from").value;
    const to = document.getElementById("pause-to").value;
    change({ kind: "pause", from, to }, `Paused from ${from} to ${to}.`);
  });
  document.getElementById("day-change").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const date = document.getElementById("day-date").value;
    const kind = document.getElementById("day-kind").value;
    const product = Number(document.getElementById("day-product").value);
    const quantity = Number(document.getElementById("day-quantity").value);
    const name = document.getElementById("day-product").selectedOptions[0]?.textContent || "";
    const body = { kind, date };
    if (kind === "swap" || kind === "extra") body.product = product;
    if (kind === "extra") body.quantity = quantity;
    const words = { skip: `Skipped ${date}.`, postpone: `Postponed ${date} to the end.`,
      swap: `On ${date}: ${name} instead.`, extra: `Extra on ${date}: ${quantity} × ${name}.` };
    change(body, words[kind]);
  });
  document.getElementById("from-change").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const from = document.getElementById("from-date").value;
    const kind = document.getElementById("from-kind").value;
    const name = document.getElementById("from-product").selectedOptions[0]?.textContent || "";
    if (kind === "swap") {
      const product = Number(document.getElementById("from-product").value);
      change({ kind, from, product }, `From ${from}: ${name} instead.`);
    } else {
      const quantity = Number(document.getElementById("from-quantity").value);
      change({ kind, from, quantity }, `From ${from}: ${quantity} per delivery.`);
    }
  });
  try {
    await load(null);
  } catch (e) {
    say("Your calendar could not be loaded: " + e.message);
  }
  loadUse().catch((e) => say("Your consumption could not be loaded: " + e.message));
  loadComplaints().catch((e) => say("Your complaints could not be loaded: " + e.message));
  loadRecommendations().catch((e) => say("Your suggestions could not be loaded: " + e.message));
  loadRatings().catch((e) => say("Your deliveries could not be loaded: " + e.message));
  // A key per filing, so a repeated submit files once (randomUUID needs a secure context).
  const newKey = () => (window.crypto && crypto.randomUUID)
    ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  let filingKey = newKey();
  document.getElementById("complain").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api(`/app/api/customers/${me.customer}/complaints`, { method: "POST", body: {
        key: filingKey,
        category: document.getElementById("complaint-category").value,
        text: document.getElementById("complaint-text").value } });
      filingKey = newKey();
      document.getElementById("complaint-text").value = "";
      await loadComplaints();
      say("Your complaint is filed.", "ok");
    } catch (e) {
      say("Not filed: " + e.message);
    }
  });
}

main();
