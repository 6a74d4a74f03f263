// The volunteer's phone page /v: log in, go on duty (sharing position with consent),
// receive offers as cards, answer them and report progress. Every answer goes through the
// persistent outbox (volunteer/outbox.js), so a tap made offline is kept, shown as pending
// and sent once, in order, when the link returns.
import { api } from "./common/api.js";
import { connectSocket } from "./common/socket.js";
import { applyStrings, getLang, makeT, setLang } from "./common/i18n.js";
import { fromAddress, forget, obtain, pasted, savedToken, signIn } from "./common/login.js";
import { STRINGS } from "./strings/volunteer.js";
import { card, FINAL, left } from "./volunteer/card.js";
import { makeDuty } from "./volunteer/duty.js";
import { makeOutbox } from "./volunteer/outbox.js";

const t = makeT(STRINGS);
const TOKEN_KEY = "huzhu.v.token";
const $ = (id) => document.getElementById(id);

const assignments = new Map(); // id → the assignment as the phone shows it
const drafts = new Map(); // id → {text, missing}: a reason being typed survives redraws
let skew = 0; // server clock − phone clock, ms (from event times)
let socket = null;
let outbox = null;
let duty = null;
let cardsKey = "";

function label(entry) {
  if (entry.type === "offer.accept") return t("accept");
  if (entry.type === "offer.decline") return t("decline");
  return t(`do.${entry.data.status}`);
}

// The status an assignment will have once its queued entries are sent.
function effective(a) {
  let status = a.status;
  for (const e of outbox.items) {
    if (e.data.assignment_id !== a.id) continue;
    if (e.type === "offer.accept") status = "accepted";
    else if (e.type === "offer.decline") status = "declined";
    else status = e.data.status;
  }
  return status;
}

// The cards are kept on the phone too: a reload resumes the socket from its last event
// (no fresh state), and a page opened offline still shows the work in hand.
function keep() {
  const live = [...assignments.values()].filter((a) => !FINAL.includes(a.status));
  const ended = [...assignments.values()].filter((a) => FINAL.includes(a.status)).slice(-5);
  localStorage.setItem(cardsKey, JSON.stringify([...live, ...ended]));
}

function restore() {
  try {
    for (const a of JSON.parse(localStorage.getItem(cardsKey) || "[]")) assignments.set(a.id, a);
  } catch {
    /* a damaged entry: the next state message refills it */
  }
}

function render() {
  if (!outbox) return;
  keep();
  const list = $("offers");
  const typing = document.activeElement?.matches?.("article.card input.reason")
    ? { id: document.activeElement.closest("article.card").dataset.id, at: document.activeElement.selectionStart }
    : null;
  list.replaceChildren();
  for (const id of drafts.keys()) if (!assignments.has(id)) drafts.delete(id);
  const rows = [...assignments.values()].sort((x, y) => FINAL.includes(x.status) - FINAL.includes(y.status));
  for (const a of rows) {
    const pending = outbox.items
      .filter((e) => e.data.assignment_id === a.id)
      .map((e) => t("queue.item", { what: label(e) }));
    if (!drafts.has(a.id)) drafts.set(a.id, { text: "", missing: false });
    const draft = drafts.get(a.id);
    const act = (type, data) => outbox.push(type, { assignment_id: a.id, ...data });
    list.append(card({ a, status: effective(a), pending, here: duty?.here, t, act, draft }));
  }
  const input = typing && list.querySelector(`article.card[data-id="${typing.id}"] input.reason`);
  if (input) {
    input.focus(); // the keyboard stays up while a position update redraws the cards
    input.setSelectionRange(typing.at, typing.at);
  }
  $("empty").hidden = rows.length > 0;
  const queued = outbox.items;
  $("queue").hidden = queued.length === 0;
  $("queue-list").replaceChildren(
    ...queued.map((e) => Object.assign(document.createElement("li"), { textContent: t("queue.item", { what: label(e) }) })),
  );
  tick();
}

function tick() {
  for (const node of document.querySelectorAll("[data-deadline]")) {
    const ms = Date.parse(node.dataset.deadline) - (Date.now() + skew);
    node.textContent = ms > 0 ? t("card.left", { time: left(ms) }) : t("card.expired");
    node.classList.toggle("late", ms <= 0);
  }
}

function renderDuty() {
  const on = duty.on;
  $("duty-state").textContent = t(on ? "duty.on" : "duty.off");
  $("duty").classList.toggle("on", on);
  $("duty-toggle").textContent = t(on ? "duty.stop" : "duty.start");
  $("consent").checked = on || $("consent").checked;
  $("consent").disabled = on;
  let note = "";
  if (duty.error) note = t("duty.no_geo", { msg: duty.error });
  else if (on && duty.sharedAt) note = t("duty.shared", { time: duty.sharedAt.toLocaleTimeString() });
  $("duty-note").textContent = note;
}

function onEvent(ev) {
  if (ev.at) skew = Date.parse(ev.at) - Date.now();
  if (ev.type === "token.revoked") return logout(ev.data?.reason);
  if (ev.type === "socket.refused") return refusedSocket(ev.data?.reason || "");
  if (!ev.type?.startsWith("assignment.")) return;
  const d = ev.data;
  const known = assignments.get(d.id);
  if (ev.type === "assignment.offered") assignments.set(d.id, { ...d, status: "offered" });
  else if (known) known.status = d.status;
  else return; // not ours to show (a proposal withdrawn before it was offered)
  render();
}

// The server closed the socket for good (4401): a dead token logs out; a live one (say,
// a user whose volunteer profile is not linked yet) keeps it and says why.
async function refusedSocket(reason) {
  try {
    await api("/api/v1/auth/me", { token: savedToken(TOKEN_KEY) });
  } catch (err) {
    if (err.status === 401) return logout(reason);
  }
  $("notice").textContent = t("login.bad", { msg: reason });
}

function onState(msg) {
  assignments.clear();
  for (const a of msg.data.assignments || []) assignments.set(a.id, a);
  render();
}

function onStatus(s) {
  const net = $("net");
  net.dataset.state = s;
  net.textContent = t(`net.${s}`);
  if (s === "live") outbox?.flush();
}

// The server's answer says the state it now holds: shown at once, not only when the
// event follows (on a slow link the entry would otherwise leave the queue first and the
// card fall back to the state from before the tap). A closed card stays closed.
function answered(entry, data) {
  const a = assignments.get(entry.data.assignment_id);
  if (a && typeof data.status === "string" && !FINAL.includes(a.status)) a.status = data.status;
}

function refused(entry, error) {
  $("notice").textContent = t("queue.refused", { msg: `${label(entry)} — ${error.detail || error.title || ""}` });
  render();
}

async function start(token) {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  const tag = token.slice(-16);
  cardsKey = `huzhu.v.cards:${tag}`;
  restore();
  outbox = makeOutbox({
    key: `huzhu.v.outbox:${tag}`,
    onChange: render,
    onAnswered: answered,
    onRefused: refused,
  });
  socket = connectSocket({ path: "/ws/volunteer", token, onEvent, onState, onStatus });
  outbox.attach(socket);
  duty = makeDuty({ token, socket: () => socket, onChange: () => (renderDuty(), render()) });
  renderDuty();
  render();
}

function logout(reason) {
  socket?.close();
  duty?.stop();
  forget(TOKEN_KEY);
  socket = duty = outbox = null;
  assignments.clear();
  $("logout").hidden = true;
  showLogin(reason ? t("login.bad", { msg: reason }) : "");
}

function showLogin(message = "") {
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
}

async function login(given) {
  try {
    const token = await obtain(given);
    await signIn(TOKEN_KEY, token, ["volunteer"]);
    await start(token);
  } catch (err) {
    showLogin(err.role ? t("login.role") : t("login.bad", { msg: err.message }));
  }
}

function wire() {
  $("lang").onclick = () => {
    setLang(getLang() === "en" ? "zh-CN" : "en");
    applyStrings(document, t);
    document.title = t("title");
    if (duty) renderDuty();
    if (outbox) render();
  };
  $("logout").onclick = () => logout();
  $("login-token").onsubmit = (e) => {
    e.preventDefault();
    login(pasted(e.target.secret.value));
  };
  $("login-password").onsubmit = (e) => {
    e.preventDefault();
    login({ username: e.target.username.value, password: e.target.password.value });
  };
  $("duty-toggle").onclick = () => {
    if (duty.on) return duty.stop();
    if (!$("consent").checked) return ($("duty-note").textContent = t("duty.need_consent"));
    duty.start();
  };
  setInterval(tick, 1000);
}

applyStrings(document, t);
document.title = t("title");
wire();
const given = fromAddress();
if (given) login(given);
else if (savedToken(TOKEN_KEY)) start(savedToken(TOKEN_KEY));
else showLogin();
