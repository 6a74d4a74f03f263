// The coordinators' live map (/map): password login, the area layers, live over
// /ws/coordinator (resuming after a drop), actions and the side lists.
import { api } from "./common/api.js";
import { applyStrings, getLang, makeT, setLang } from "./common/i18n.js";
import { connectSocket } from "./common/socket.js";
import { setupActions } from "./map/actions.js";
import { drawAreas, drawIncidents, drawLive, makeLayers, volunteerEvent } from "./map/layers.js";
import { renderNeed } from "./map/need.js";
import { makeInbox, renderBoard, renderIncidents } from "./map/side.js";
import strings from "./strings/map.js";

const L = window.L;
const TOKEN = "huzhu.map.token";
const t = makeT(strings);
const $ = (id) => document.getElementById(id);

applyStrings(document, t);
$("lang").onclick = () => {
  setLang(getLang() === "zh-CN" ? "en" : "zh-CN");
  location.reload();
};

async function login(ev) {
  ev.preventDefault();
  const f = $("login");
  try {
    const body = { username: f.username.value, password: f.password.value };
    const answer = await api("/api/v1/auth/token", { method: "POST", body });
    localStorage.setItem(TOKEN, answer.token);
    await start(answer.token);
  } catch (err) {
    $("login-error").textContent = t("login_failed", { detail: err.problem?.detail || err.message });
  }
}

function showLogin() {
  $("main").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login").onsubmit = login;
}

async function start(token) {
  const me = await api("/api/v1/auth/me", { token });
  const config = await api("/map/config.json");
  $("login").hidden = true;
  $("main").hidden = false;
  $("logout").hidden = false;
  const map = L.map("map", { preferCanvas: false });
  if (config.tile_url) L.tileLayer(config.tile_url, { maxZoom: 18 }).addTo(map);
  const ctx = { t, token, me, map, incidentId: null, incidents: [] };
  window.huzhu = ctx; // for the console (and the browser tests)
  ctx.layers = makeLayers(map, t);
  ctx.toast = (text) => ($("hint").textContent = text);
  ctx.guard = async (fn) => {
    try {
      await fn();
    } catch (err) {
      ctx.toast(t("error", { detail: err.problem?.detail || err.message }));
    }
  };
  ctx.openNeed = (id) => ctx.guard(() => renderNeed(ctx, id));
  ctx.selectIncident = (id) => {
    ctx.incidentId = id;
    ctx.refresh();
  };
  const inbox = makeInbox(ctx);
  let running = null;
  let again = false;
  async function refresh() {
    const page = await api("/api/v1/incidents?status=active&limit=50", { token });
    ctx.incidents = page.items;
    if (!ctx.incidents.some((i) => i.id === ctx.incidentId)) ctx.incidentId = ctx.incidents[0]?.id || null;
    renderIncidents(ctx, ctx.incidents);
    drawIncidents(ctx, ctx.incidents);
    await drawLive(ctx, ctx.incidents);
    await renderBoard(ctx);
    const open = $("need-panel").dataset.need;
    if (open) await renderNeed(ctx, open);
  }
  ctx.refresh = () => {
    // One refresh at a time; events during one ask for one more.
    if (running) {
      again = true;
      return running;
    }
    running = ctx.guard(refresh).finally(() => {
      running = null;
      if (again) {
        again = false;
        ctx.refresh();
      }
    });
    return running;
  };
  setupActions(ctx);
  $("logout").onclick = async () => {
    await api("/api/v1/auth/logout", { method: "POST", token }).catch(() => {});
    localStorage.removeItem(TOKEN);
    location.reload();
  };
  await drawAreas(ctx);
  await ctx.refresh();
  await inbox.history(ctx.incidents);
  ctx.socket = connectSocket({
    path: "/ws/coordinator",
    token,
    onStatus: (s) => {
      const conn = $("conn");
      if (s === "live") {
        ctx.toast("");
        conn.dataset.connects = String(Number(conn.dataset.connects || 0) + 1);
      }
      conn.dataset.status = s;
      conn.textContent = t(`status_${s}`);
    },
    onState: () => {
      ctx.volunteers = null;
      ctx.refresh();
    },
    onEvent: (ev) => {
      if (ev.type === "socket.refused") {
        localStorage.removeItem(TOKEN);
        return showLogin();
      }
      inbox.add(ev);
      if (ev.type.startsWith("volunteer.")) volunteerEvent(ctx, ev);
      ctx.refresh();
    },
  });
}

const saved = localStorage.getItem(TOKEN);
if (saved) {
  start(saved).catch(() => {
    localStorage.removeItem(TOKEN);
    showLogin();
  });
} else {
  showLogin();
}
