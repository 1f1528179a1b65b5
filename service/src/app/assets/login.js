import { api, say } from "/app/assets/common.js";

const params = new URLSearchParams(location.search);
if (params.get("why")) say(params.get("why"), "error", false);

document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const user = document.getElementById("user").value.trim();
  const password = document.getElementById("password").value;
  const button = document.getElementById("submit");
  button.disabled = true;
  try {
    const r = await api("/app/api/login", { method: "POST", body: { user, password } });
    location.assign(r.home);
  } catch (e) {
    say("Log in failed: " + e.message);
    document.getElementById("password").focus();
  } finally {
    button.disabled = false;
  }
});
