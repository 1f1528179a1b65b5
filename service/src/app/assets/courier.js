import { api, el, say, whoami, logout, STATUS_WORDS, REASON_WORDS } from "/app/assets/common.js";

document.getElementById("logout").addEventListener("click", logout);

let me = null;
let round = null;

function summary(f) {
  return `${f.done} of ${f.stops} stops done, ${f.left} left · ${f.delivered} delivered, ` +
    `${f.failed} failed · ${f.on_time} on time`;
}

function products(stop) {
  return stop.orders
    .map((o) => `${o.quantity} × ${o.product}${o.make_up ? " (make-up)" : ""}`)
    .join(", ");
}

/** One stop's card; the actions only while it is pending. */
function card(stop, reasons) {
  const id = stop.household;
  const li = el("li", { class: "stop status-" + stop.status, id: "stop-" + id, "data-household": id });
  li.append(
    el("div", { class: "stop-head" },
      el("span", { class: "seq", text: stop.seq === null ? "–" : String(stop.seq + 1) }),
      el("span", { class: "address", text: stop.address }),
      el("span", { class: "badge", text: STATUS_WORDS[stop.status] || stop.status })),
    el("p", { class: "times" },
      `ETA ${stop.eta ?? "–"} · window ${stop.window[0]}–${stop.window[1]}` +
      (stop.promise ? ` · promised ${stop.promise[0]}–${stop.promise[1]}` : "")),
    el("p", { class: "goods", text: products(stop) }),
    el("a", { class: "nav", href: `geo:${stop.lat},${stop.lon}`, text: "Directions" }),
  );
  const bottlesId = "bottles-" + id;
  const count = el("input", { id: bottlesId, type: "number", min: "1", max: "1000", inputmode: "numeric", required: true });
  const bottlesForm = el("form", { class: "row bottles", "aria-label": "Empty bottles at " + stop.address },
    el("label", { for: bottlesId, text: "Empty bottles collected" }), count,
    el("button", { type: "submit", text: "Record" }));
  bottlesForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await api(`/app/api/couriers/${me.courier}/stops/${id}/bottles`,
        { method: "POST", body: { bottles: Number(count.value) } });
      say(r.recorded ? `Recorded ${r.bottles} empty bottles at ${stop.address}.`
        : `Empty bottles at ${stop.address} were already recorded today.`, "ok");
    } catch (e) {
      say("Bottles not recorded: " + e.message);
    }
  });
  if (stop.status !== "pending") {
    const failed = stop.orders.find((o) => o.reason);
    if (failed) li.append(el("p", { class: "reason", text: "Reason: " + (REASON_WORDS[failed.reason] || failed.reason) }));
    li.append(bottlesForm);
    return li;
  }
  const codeId = "code-" + id;
  const reasonId = "reason-" + id;
  const code = el("input", { id: codeId, name: "code", autocomplete: "off", autocapitalize: "none", spellcheck: "false", inputmode: "text" });
  const deliverForm = el("form", { class: "stack deliver", "aria-label": "Deliver to " + stop.address },
    el("label", { for: codeId, text: "Door code (scan or type)" }),
    code,
    el("div", { class: "row" },
      el("button", { type: "submit", class: "primary", text: "Delivered" }),
      "BarcodeDetector" in window
        ? el("button", { type: "button", text: "Scan", onclick: () => scan(code) })
        : null));
  deliverForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    await report(stop, "deliver", { token: code.value.trim() });
  });
  const select = el("select", { id: reasonId, name: "reason" },
    ...reasons.map((r) => el("option", { value: r, text: REASON_WORDS[r] || r })));
  const failForm = el("form", { class: "stack fail", "aria-label": "Could not deliver to " + stop.address },
    el("label", { for: reasonId, text: "Could not deliver: reason" }),
    select,
    el("button", { type: "submit", text: "Could not deliver" }));
  failForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    await report(stop, "fail", { reason: select.value });
  });
  li.append(deliverForm, failForm, bottlesForm);
  return li;
}

/** Cents as money (two decimals). */
function money(cents) {
  const sign = cents < 0 ? "-" : "";
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}

async function loadPay() {
  try {
    const p = await api(`/app/api/couriers/${me.courier}/pay`);
    const rows = [["day", "Today"], ["week", "This week"], ["month", "This month"]].map(([k, w]) =>
      el("tr", { id: "pay-" + k },
        el("th", { scope: "row", text: w }),
        el("td", { text: String(p[k].drops) }),
        el("td", { text: String(p[k].bottles) }),
        el("td", { class: "money", text: money(p[k].pay_cents) }),
        el("td", { class: "rating", text: p[k].rating === null ? "–" : `${p[k].rating.toFixed(1)} ★ (${p[k].ratings})` })));
    document.querySelector("#pay tbody").replaceChildren(...rows);
  } catch (e) {
    say("Your pay could not be loaded: " + e.message);
  }
}

async function report(stop, what, body) {
  try {
    const r = await api(`/app/api/couriers/${me.courier}/stops/${stop.household}/${what}`,
      { method: "POST", body });
    const i = round.stops.findIndex((s) => s.household === stop.household);
    round.stops[i] = r.stop;
    round.figures = r.figures;
    render();
    loadPay();
    loadHint();
    loadDirections();
    say(what === "deliver" ? `Delivered: ${stop.address}` : `Reported as not delivered: ${stop.address}`, "ok");
    const next = document.querySelector(".stop.status-pending input");
    if (next) next.focus();
  } catch (e) {
    say((what === "deliver" ? "Not signed off: " : "Not reported: ") + e.message);
  }
}

/** The way to the next stop: heading and distance from the last stop (or the station). */
function hint(h) {
  const p = document.getElementById("nav-hint");
  p.textContent = h
    ? `Next: ${h.address} — ${h.distance_m} m ${h.compass} (${h.bearing_deg}°) from ${h.from}`
    : "No stop left.";
}

/** Reloads the round's hint after a report (the next stop changed). */
async function loadHint() {
  try {
    hint((await api(`/app/api/couriers/${me.courier}/round`)).hint);
  } catch (e) {
    say("The way to the next stop could not be loaded: " + e.message);
  }
}

/** What each manoeuvre kind says (display only: the server decides the manoeuvres). */
const TURN_WORDS = {
  depart: "Set off", continue: "Go straight on", slight_left: "Bear left", slight_right: "Bear right",
  left: "Turn left", right: "Turn right", sharp_left: "Turn sharp left", sharp_right: "Turn sharp right",
  uturn: "Turn back", arrive: "Arrive",
};

/** Metres as the phone shows them. */
function far(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${m} m`;
}

/** The way along the roads to the next stop, one line per manoeuvre. */
function showDirections(d) {
  const title = document.getElementById("directions-title");
  const list = document.getElementById("nav-steps");
  if (!d.next) {
    title.textContent = "No stop left.";
    list.replaceChildren();
    return;
  }
  title.textContent = `Along the roads to ${d.next.address}: ${far(d.distance_m)}, ` +
    `about ${Math.max(1, Math.round(d.duration_s / 60))} min from ${d.from}`;
  list.replaceChildren(...d.steps.map((s, i) => {
    let words;
    if (s.kind === "depart") words = `${TURN_WORDS.depart} heading ${s.compass}`;
    else if (s.kind === "arrive") words = `After ${far(s.distance_m)}: arrive at ${d.next.address}`;
    else words = `After ${far(s.distance_m)}: ${TURN_WORDS[s.kind] || s.kind}, heading ${s.compass}`;
    return el("li", { class: "step", id: "nav-step-" + i, "data-kind": s.kind,
      "data-distance": s.distance_m, text: words });
  }));
  document.getElementById("directions").dataset.household = d.next.household;
}

/** Loads the way to the next stop (after the round and after each report). */
async function loadDirections() {
  try {
    showDirections(await api(`/app/api/couriers/${me.courier}/directions`));
  } catch (e) {
    document.getElementById("directions-title").textContent =
      "The way along the roads could not be found: " + e.message;
    document.getElementById("nav-steps").replaceChildren();
  }
}

function render() {
  document.getElementById("title").textContent = `${round.name} · ${round.day}`;
  document.getElementById("summary").textContent = summary(round.figures);
  hint(round.hint);
  const list = document.getElementById("stops");
  list.replaceChildren(...round.stops.map((s) => card(s, round.reasons)));
  if (round.stops.length === 0) list.append(el("li", { class: "empty", text: "No stops today." }));
}

/** Scans a QR code with the camera where the browser can (BarcodeDetector). */
async function scan(input) {
  const section = document.getElementById("scanner");
  const video = document.getElementById("camera");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (e) {
    say("The camera is not available (" + e.message + "): type the code instead.");
    input.focus();
    return;
  }
  const stop = () => {
    stream.getTracks().forEach((t) => t.stop());
    section.hidden = true;
  };
  document.getElementById("stop-scan").onclick = stop;
  section.hidden = false;
  video.srcObject = stream;
  await video.play();
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  const tick = async () => {
    if (section.hidden) return;
    try {
      const codes = await detector.detect(video);
      if (codes.length > 0) {
        input.value = codes[0].rawValue;
        stop();
        input.form.requestSubmit();
        return;
      }
    } catch (_) { /* the next frame */ }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

async function main() {
  me = await whoami();
  if (me.role !== "courier") {
    location.assign(me.home);
    return;
  }
  try {
    round = await api(`/app/api/couriers/${me.courier}/round`);
    render();
    await loadPay();
    await loadDirections();
    document.body.dataset.ready = "1";
  } catch (e) {
    say("Your round could not be loaded: " + e.message);
  }
}

main();
