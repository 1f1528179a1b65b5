// Shared by the pages: calls to the server and small DOM helpers. No framework; text is
// always set with textContent, never parsed as HTML.

/** An element with attributes and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

/** Shows a message in the page's alert region (`kind`: "error" or "ok"). */
export function say(text, kind = "error", link = true) {
  const box = document.getElementById("message");
  if (!box) return;
  box.textContent = "";
  box.className = "message " + kind;
  box.append(text);
  if (link && kind === "error" && /log in/.test(text)) {
    box.append(" ", el("a", { href: "/app/login", text: "Log in" }));
  }
  // The message is read out (an alert region) and brought into view.
  box.scrollIntoView({ block: "nearest" });
}

/** A call to the server: JSON in and out; a failure throws an Error with the server's words. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  if (method !== "GET") {
    headers["content-type"] = "application/json";
    headers["x-milkrun-app"] = "1";
  }
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    throw new Error("the server cannot be reached: " + e.message);
  }
  let data = null;
  try {
    data = await res.json();
  } catch (_) {
    data = null;
  }
  if (!res.ok) {
    const err = new Error((data && data.error) || "the server answered " + res.status);
    err.status = res.status;
    throw err;
  }
  return data;
}

/** Who is logged in; sends the browser to the login page when nobody is. */
export async function whoami() {
  try {
    return await api("/app/api/me");
  } catch (e) {
    if (e.status === 401) {
      location.assign("/app/login?why=" + encodeURIComponent(e.message));
      return new Promise(() => {});
    }
    throw e;
  }
}

/** Ends the session and goes to the login page. */
export async function logout() {
  try {
    await api("/app/api/logout", { method: "POST" });
  } finally {
    location.assign("/app/login");
  }
}

/** A status's words. */
export const STATUS_WORDS = {
  pending: "Pending",
  delivered: "Delivered",
  failed: "Failed",
  made_up: "Made up",
  cancelled: "Cancelled",
};

/** A failure reason's words. */
export const REASON_WORDS = {
  not_home: "Nobody home",
  damaged: "Goods damaged",
  refused: "Refused by the customer",
  address_wrong: "Wrong address",
  access_closed: "Gate or building closed",
};
