// The device's web UI: the JSON API of docs/DEVICE_API.md and the /ws socket.
"use strict";
const $ = (id) => document.getElementById(id);
const views = ["dashboard", "settings", "files", "system"];
const levels = ["ERR", "WARN", "NOTICE", "INFO", "DEBUG"];
let ws = null, wsWanted = false, stats = {}, samples = [], logLines = [], blinkTimer = null;

function fmtBytes(n) {
  if (n === null || n === undefined) return "n/a";
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + " KB";
  return (n / 1048576).toFixed(1) + " MB";
}

function fmtUptime(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  if (d) return d + "d " + h + "h";
  if (h) return h + "h " + m + "m";
  return m + "m " + (s % 60) + "s";
}

async function api(method, path, body, raw) {
  const opt = {method: method, headers: {}, credentials: "same-origin"};
  if (body !== undefined) {
    if (raw) opt.body = body;
    else { opt.body = JSON.stringify(body); opt.headers["Content-Type"] = "application/json"; }
  }
  let r;
  try { r = await fetch(path, opt); } catch (e) { return {status: 0, data: {error: "the device does not answer"}}; }
  let data = {};
  try { data = await r.json(); } catch (e) { data = {}; }
  if (r.status === 401 && path !== "/api/login" && path !== "/api/password") showAuth(data.password_set !== false);
  return {status: r.status, data: data};
}

function say(id, text, bad) {
  const el = $(id);
  el.textContent = text || "";
  el.classList.toggle("bad", !!bad);
}

// ---------------------------------------------------------------- setup and login

let setupMode = false;

function showAuth(passwordSet) {
  setupMode = !passwordSet;
  closeSocket();
  for (const v of views) $(v).hidden = true;
  $("nav").hidden = $("logout").hidden = $("link").hidden = true;
  $("auth").hidden = false;
  $("auth-title").textContent = setupMode ? "Set a password" : "Log in";
  $("auth-intro").hidden = !setupMode;
  $("confirm-field").hidden = !setupMode;
  $("password2").required = setupMode;
  $("password").autocomplete = setupMode ? "new-password" : "current-password";
  $("auth-go").textContent = setupMode ? "Set password" : "Log in";
  $("password").focus();
}

let retryTimer = null;

function lockFor(seconds) {
  const btn = $("auth-go");
  let left = seconds;
  clearInterval(retryTimer);
  btn.disabled = true;
  const step = () => {
    if (left <= 0) { clearInterval(retryTimer); btn.disabled = false; say("auth-msg", "Wrong password. Try again.", true); return; }
    say("auth-msg", "Wrong password. Try again in " + left + " s.", true);
    left -= 1;
  };
  step();
  retryTimer = setInterval(step, 1000);
}

$("auth-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const pw = $("password").value;
  if (setupMode && pw !== $("password2").value) { say("auth-msg", "The two passwords differ.", true); return; }
  const r = await api("POST", setupMode ? "/api/setup" : "/api/login", {password: pw});
  if (r.status === 200) {
    $("password").value = $("password2").value = "";
    say("auth-msg", "");
    start();
  } else if (r.status === 401 || r.status === 429) {
    lockFor(r.data.retry_after || 1);
  } else if (r.status === 409) {
    showAuth(r.data.password_set !== false);
    say("auth-msg", r.data.error, true);
  } else {
    say("auth-msg", r.data.error || "Failed (" + r.status + ").", true);
  }
});

$("logout").addEventListener("click", async () => {
  await api("POST", "/api/logout");
  showAuth(true);
});

// ---------------------------------------------------------------- navigation

function route() {
  if (!$("auth").hidden) return;
  const name = views.indexOf(location.hash.slice(1)) >= 0 ? location.hash.slice(1) : "dashboard";
  for (const v of views) $(v).hidden = v !== name;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.getAttribute("href") === "#" + name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (name === "settings") loadSettings();
  if (name === "files") loadFiles();
}
window.addEventListener("hashchange", () => { route(); $("main").focus(); });

async function start() {
  const r = await api("GET", "/api/stats?history=1");
  if (r.status !== 200) return;
  $("auth").hidden = true;
  $("nav").hidden = $("logout").hidden = $("link").hidden = false;
  samples = [];
  addHistory(r.data.history || [], 5, Date.now());
  showStats(r.data);
  route();
  openSocket();
}

// ---------------------------------------------------------------- dashboard

function showStats(s) {
  stats = s;
  document.title = s.device_name;
  $("brand").textContent = s.device_name;
  $("s-uptime").textContent = fmtUptime(s.uptime_s);
  $("s-heap-free").textContent = fmtBytes(s.heap_free);
  $("s-heap-used").textContent = s.heap_used === null ? "no heap figures on this interpreter" : fmtBytes(s.heap_used) + " used";
  $("s-flash-free").textContent = fmtBytes(s.flash_free);
  $("s-flash-used").textContent = fmtBytes(s.flash_used) + " of " + fmtBytes(s.flash_total) + " used";
  $("s-flash-bar").style.width = (s.flash_total ? 100 * s.flash_used / s.flash_total : 0).toFixed(1) + "%";
  $("s-conn").textContent = s.connections + " / " + s.connections_max;
  $("s-pool").textContent = "header tables " + s.header_pool_used + " / " + s.header_pool_size + (s.header_pool_waiting ? ", " + s.header_pool_waiting + " waiting" : "");
  $("s-req").textContent = s.requests;
  $("s-ws").textContent = s.ws_clients + " live view" + (s.ws_clients === 1 ? "" : "s") + ", " + s.sessions + " session" + (s.sessions === 1 ? "" : "s");
  $("s-led").textContent = s.led_blink_ms + " ms";
  blink(s.led_blink_ms);
  $("boot-note").hidden = !s.boot_note;
  $("boot-note").textContent = s.boot_note || "";
  $("sys-version").textContent = s.version;
  $("sys-slot").textContent = s.slot ? "(installed update, slot " + s.slot + ")" : "(built in)";
}

let blinkMs = 0;
function blink(ms) {
  if (ms === blinkMs) return;
  blinkMs = ms;
  clearInterval(blinkTimer);
  blinkTimer = setInterval(() => $("led").classList.toggle("on"), ms / 2);
}

function addHistory(list, stepS, now) {
  for (let i = 0; i < list.length; i++) samples.push({t: now - (list.length - 1 - i) * stepS * 1000, v: list[i]});
}

function drawChart() {
  const now = Date.now();
  samples = samples.filter((p) => p.t > now - 600000 && p.v !== null);
  if (samples.length < 2) return;
  // the last ten minutes, or what there is of them
  const span = Math.max(10000, now - samples[0].t);
  let lo = Infinity, hi = 0;
  for (const p of samples) { lo = Math.min(lo, p.v); hi = Math.max(hi, p.v); }
  const top = hi + (hi - lo) * 0.1 + 1, bottom = Math.max(0, lo - (hi - lo) * 0.1 - 1);
  const pts = samples.map((p) => [(600 * (p.t - now + span) / span).toFixed(1),
    (115 - 110 * (p.v - bottom) / (top - bottom)).toFixed(1)]);
  const line = "M" + pts.map((p) => p.join(",")).join("L");
  $("chart-line").setAttribute("d", line);
  $("chart-area").setAttribute("d", line + "L" + pts[pts.length - 1][0] + ",120L" + pts[0][0] + ",120Z");
  const last = samples[samples.length - 1].v;
  const ago = span >= 120000 ? Math.round(span / 60000) + " min" : Math.round(span / 1000) + " s";
  const text = "Last " + ago + ": now " + fmtBytes(last) + ", lowest " + fmtBytes(lo) + ", highest " + fmtBytes(hi);
  $("chart-range").textContent = text;
  $("chart-desc").textContent = "Heap in use. " + text + ".";
}

function addLog(lines) {
  for (const l of lines) logLines.push(l);
  if (logLines.length > 200) logLines.splice(0, logLines.length - 200);
  drawLog();
}

function drawLog() {
  const max = Number($("log-level").value), box = $("log");
  box.textContent = "";
  for (const [lvl, text] of logLines) {
    const i = levels.indexOf(lvl);
    if (i > max || (i < 0 && max < 4)) continue;
    const li = document.createElement("li");
    li.className = "l-" + lvl.toLowerCase();
    li.textContent = text;
    box.appendChild(li);
  }
  box.scrollTop = box.scrollHeight;
}
$("log-level").addEventListener("change", drawLog);
$("log-clear").addEventListener("click", () => { logLines = []; drawLog(); });

function setLink(up) {
  $("link").textContent = up ? "live" : "offline";
  $("link").classList.toggle("up", up);
}

function openSocket() {
  wsWanted = true;
  if (ws) return;
  ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws", "lws-device");
  ws.onopen = () => setLink(true);
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "hello") {
      showStats(m.stats);
      addLog(m.log);
    } else if (m.type === "stats") {
      showStats(m);
      samples.push({t: Date.now(), v: m.heap_used});
      drawChart();
    } else if (m.type === "log") {
      addLog(m.lines);
    }
  };
  ws.onclose = () => {
    ws = null;
    setLink(false);
    if (wsWanted) setTimeout(async () => { if (wsWanted) { const r = await api("GET", "/api/stats"); if (r.status === 200) openSocket(); } }, 2000);
  };
}

function closeSocket() {
  wsWanted = false;
  if (ws) ws.close();
}

// ---------------------------------------------------------------- settings

const fields = ["device_name", "wifi_ssid", "wifi_password", "ap_fallback", "ap_ssid", "ap_password", "log_level", "led_blink_ms"];

async function loadSettings() {
  const r = await api("GET", "/api/settings");
  if (r.status !== 200) return;
  const s = r.data.settings;
  for (const f of fields) {
    const el = $("f-" + f);
    say("e-" + f, "");
    el.removeAttribute("aria-invalid");
    if (el.type === "checkbox") el.checked = !!s[f];
    else if (el.type === "password") { el.value = ""; el.placeholder = s[f + "_set"] ? "(set: leave empty to keep it)" : ""; }
    else el.value = s[f];
  }
}

$("set-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = {};
  for (const f of fields) {
    const el = $("f-" + f);
    if (el.type === "checkbox") body[f] = el.checked;
    else if (el.type === "number") body[f] = el.value === "" ? "" : Number(el.value);
    else if (el.type !== "password" || el.value) body[f] = el.value;
  }
  const r = await api("POST", "/api/settings", body);
  for (const f of fields) { say("e-" + f, ""); $("f-" + f).removeAttribute("aria-invalid"); }
  if (r.status === 200) {
    say("set-msg", "Saved.");
    loadSettings();
  } else {
    const errs = r.data.fields || {};
    let first = null;
    for (const f in errs) {
      say("e-" + f, errs[f], true);
      const el = $("f-" + f);
      if (el) { el.setAttribute("aria-invalid", "true"); el.setAttribute("aria-describedby", "e-" + f); first = first || el; }
    }
    say("set-msg", r.data.error || "Not saved.", true);
    if (first) first.focus();
  }
});

$("pw-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await api("POST", "/api/password", {current: $("pw-current").value, new: $("pw-new").value});
  if (r.status === 200) { $("pw-current").value = $("pw-new").value = ""; say("pw-msg", "Password changed. Every other session has ended."); }
  else say("pw-msg", r.data.error || "Not changed.", true);
});

// ---------------------------------------------------------------- files

async function loadFiles() {
  const r = await api("GET", "/api/files");
  if (r.status !== 200) return;
  const list = $("files-list");
  list.textContent = "";
  for (const f of r.data.files) {
    const tr = document.createElement("tr");
    const name = document.createElement("td"), size = document.createElement("td"), act = document.createElement("td");
    const a = document.createElement("a");
    a.href = "/api/files/" + f.name.split("/").map(encodeURIComponent).join("/");
    a.textContent = f.name;
    a.setAttribute("download", f.name.split("/").pop());
    name.appendChild(a);
    size.className = "num";
    size.textContent = fmtBytes(f.size);
    act.className = "acts";
    act.appendChild(button("Rename", () => renameFile(f.name), "Rename " + f.name));
    act.appendChild(button("Delete", () => deleteFile(f.name), "Delete " + f.name));
    tr.append(name, size, act);
    list.appendChild(tr);
  }
  $("files-empty").hidden = r.data.files.length > 0;
  $("files-space").textContent = fmtBytes(r.data.flash_free) + " of " + fmtBytes(r.data.flash_total) + " free";
}

function button(text, fn, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "ghost small";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", fn);
  return b;
}

const filePath = (name) => "/api/files/" + name.split("/").map(encodeURIComponent).join("/");

async function renameFile(name) {
  const to = prompt("New name for " + name, name);
  if (!to || to === name) return;
  const r = await api("POST", filePath(name) + "?rename=" + encodeURIComponent(to));
  say("files-msg", r.status === 200 ? "Renamed to " + to + "." : r.data.error, r.status !== 200);
  loadFiles();
}

async function deleteFile(name) {
  if (!confirm("Delete " + name + "?")) return;
  const r = await api("DELETE", filePath(name));
  say("files-msg", r.status === 200 ? "Deleted " + name + "." : r.data.error, r.status !== 200);
  loadFiles();
}

function send(method, path, file, bar) {
  // XMLHttpRequest for the upload progress, which fetch does not report
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open(method, path);
    x.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = 100 * e.loaded / e.total; };
    x.onload = () => { let d = {}; try { d = JSON.parse(x.responseText); } catch (e) { d = {}; } resolve({status: x.status, data: d}); };
    x.onerror = () => resolve({status: 0, data: {error: "the upload was cut off"}});
    x.send(file);
  });
}

$("up-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("up-file").files[0];
  if (!file) return;
  const bar = $("up-progress");
  bar.hidden = false;
  bar.value = 0;
  say("files-msg", "Uploading " + file.name + "…");
  const r = await send("PUT", filePath(file.name), file, bar);
  bar.hidden = true;
  if (r.status === 201) say("files-msg", "Uploaded " + file.name + " (" + fmtBytes(r.data.size) + ").");
  else say("files-msg", "Upload failed: " + (r.data.error || "error " + r.status) + ".", true);
  $("up-file").value = "";
  loadFiles();
});

// ---------------------------------------------------------------- update and restart

$("upd-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("upd-file").files[0];
  if (!file) return;
  say("upd-msg", "Checking and installing " + file.name + "…");
  const r = await api("POST", "/api/update", file, true);
  if (r.status !== 200) { say("upd-msg", "Not installed: " + (r.data.error || "error " + r.status) + ".", true); return; }
  restart("upd-msg", "Version " + r.data.version + " installed. ");
});

$("reboot").addEventListener("click", () => { if (confirm("Restart the device now?")) restart("reboot-msg", ""); });

async function restart(msgId, done) {
  say(msgId, done + "Restarting…");
  await api("POST", "/api/reboot", {});
  closeSocket();
  say(msgId, done + "Restarting… waiting for the device.");
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < 60; i++) {
    const r = await api("GET", "/api/stats");
    if (r.status === 200) { start(); return; }
    if (r.status === 401) return;  // back, and the sessions are gone: log in
    await new Promise((res) => setTimeout(res, 1000));
  }
  say(msgId, "The device did not come back.", true);
}

start().then(() => { if ($("auth").hidden && $("nav").hidden) showAuth(true); });
