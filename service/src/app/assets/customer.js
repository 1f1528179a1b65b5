import { api, el, say, whoami, logout } from "/app/assets/common.js";

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

/** Asks for a change; the server's refusal (the cut-off) is shown in its words. */
async function change(body, done) {
  try {
    await api(`/app/api/customers/${me.customer}/operations`,
      { method: "POST", body: { subscription: selected(), ...body } });
    await load(month);
    say(done, "ok");
  } catch (e) {
    say("Not changed: " + e.message);
  }
}

function render() {
  document.getElementById("title").textContent = `${cal.name}: my deliveries`;
  document.getElementById("month").textContent = cal.month;
  document.getElementById("cutoff").textContent =
    `Changes for a day close at ${cal.cutoff.at.slice(0, 5)}, ${cal.cutoff.days_before} day(s) before ` +
    `it (today is ${cal.today}, ${cal.now.slice(0, 5)}). A change after that is refused.`;
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
    const cell = el("td", { id: "day-" + date, "data-date": date, class: items.length ? "has" : "" },
      el("span", { class: "dnum", text: String(d) }));
    for (const it of items) {
      cell.append(el("span", { class: "qty " + it.line, text: `${it.quantity}`,
        title: `${it.quantity} × ${it.product}` }));
      if (it.line === "regular") {
        cell.append(el("button", { type: "button", class: "skip", "aria-label": `Skip ${date}`,
          text: "Skip", onclick: () => change({ kind: "skip", date }, `Skipped ${date}.`) }));
      }
    }
    row.push(cell);
    if (row.length === 7) { rows.push(el("tr", {}, ...row)); row = []; }
  }
  if (row.length) rows.push(el("tr", {}, ...row));
  document.querySelector("#calendar tbody").replaceChildren(...rows);
}

const CLASS_WORDS = { steady: "steady", growing: "growing", declining: "declining", lapsing: "lapsing" };

async function loadUse() {
  const u = await api(`/app/api/customers/${me.customer}/consumption`);
  document.getElementById("use-summary").textContent =
    `${u.from} to ${u.to}: ${u.delivered} delivered, ${u.failed} failed, ${u.days_off} days off; ` +
    `about ${u.mean_units_per_week.toFixed(1)} units a week, ${CLASS_WORDS[u.class] || u.class}.`;
  document.querySelector("#use tbody").replaceChildren(...u.weeks.map((w) =>
    el("tr", {}, el("th", { scope: "row", text: w.start }), el("td", { text: String(w.units) }))));
  const ns = "http://www.w3.org/2000/svg";
  const max = Math.max(1, ...u.weeks.map((w) => w.units));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${u.weeks.length * 40} 110`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Units delivered per week (the table below has the numbers)");
  u.weeks.forEach((w, i) => {
    const h = (w.units / max) * 90;
    const r = document.createElementNS(ns, "rect");
    r.setAttribute("x", i * 40 + 8); r.setAttribute("y", 90 - h);
    r.setAttribute("width", 24); r.setAttribute("height", h);
    r.setAttribute("class", "bar-delivered");
    svg.append(r);
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", i * 40 + 6); t.setAttribute("y", 104);
    t.setAttribute("class", "bar-label");
    t.textContent = w.start.slice(5);
    svg.append(t);
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
  document.getElementById("quantity").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const from = document.getElementById("quantity-from").value;
    const quantity = Number(document.getElementById("quantity-n").value);
    change({ kind: "change_quantity", from, quantity }, `From ${from}: ${quantity} per delivery.`);
  });
  try {
    await load(null);
  } catch (e) {
    say("Your calendar could not be loaded: " + e.message);
  }
  loadUse().catch((e) => say("Your consumption could not be loaded: " + e.message));
  loadComplaints().catch((e) => say("Your complaints could not be loaded: " + e.message));
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
