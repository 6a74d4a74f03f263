// The household page /h: a household contact (or a member through a one-time link)
// reports each member's status and needs during an incident (POST …/reports: the
// check-in chain) and can send an SOS with the phone's position (POST …/sos).
import { api } from "./common/api.js";
import { applyStrings, getLang, makeT, setLang } from "./common/i18n.js";
import { fromAddress, forget, obtain, pasted, savedToken, signIn } from "./common/login.js";
import { STRINGS } from "./strings/household.js";

const t = makeT(STRINGS);
const TOKEN_KEY = "huzhu.h.token";
const STATUSES = ["safe", "injured", "needs_help", "missing"];
const KINDS = ["medical", "rescue", "supplies", "evacuation", "care", "other"];
const DEFAULT_KIND = { injured: "medical", needs_help: "care", missing: "rescue" };
const $ = (id) => document.getElementById(id);

let token = null;
let household = null;
let incidents = [];

function el(tag, attrs = {}, ...children) {
  const node = Object.assign(document.createElement(tag), attrs);
  node.append(...children.filter(Boolean));
  return node;
}

function memberName(m, i) {
  return m.name || `#${i + 1}`;
}

function memberRow(m, i) {
  const box = el("fieldset", { className: "member" });
  box.dataset.person = m.id;
  box.append(el("legend", { textContent: memberName(m, i) }));
  const choices = el("div", { className: "choices" });
  for (const s of STATUSES) {
    const input = el("input", { type: "radio", name: `st-${m.id}`, value: s });
    choices.append(el("label", { className: `choice st-${s}` }, input, el("span", { textContent: t(`status.${s}`) })));
  }
  const kind = el("select", { className: "need-kind" });
  for (const k of KINDS) kind.append(el("option", { value: k, textContent: t(`kind.${k}`) }));
  const text = el("input", { className: "need-text", maxLength: 500, placeholder: t("need.description") });
  const need = el("div", { className: "need", hidden: true },
    el("label", {}, el("span", { textContent: t("need.kind") }), kind), text); // prettier-ignore
  choices.addEventListener("change", (e) => {
    const s = e.target.value;
    need.hidden = !(s in DEFAULT_KIND) || s === "missing";
    if (DEFAULT_KIND[s]) kind.value = DEFAULT_KIND[s];
  });
  box.append(choices, need);
  return box;
}

// The report the form says: members with a chosen status; injured / needs help raise a need.
function collect() {
  const members = [];
  for (const box of document.querySelectorAll("fieldset.member")) {
    const chosen = box.querySelector("input[type=radio]:checked");
    if (!chosen) continue;
    const row = { person_id: box.dataset.person, status: chosen.value, needs: [] };
    if (chosen.value === "injured" || chosen.value === "needs_help") {
      const description = box.querySelector(".need-text").value.trim();
      row.needs.push({ kind: box.querySelector(".need-kind").value, description });
    }
    members.push(row);
  }
  return members;
}

function incidentId() {
  return $("incident").value;
}

async function sendReport(e) {
  e.preventDefault();
  const members = collect();
  const out = $("report-result");
  if (!members.length) return (out.textContent = t("report.incomplete"));
  try {
    const body = { reports: [{ household_id: household.id, members }] };
    const res = await api(`/api/v1/incidents/${incidentId()}/reports`, { method: "POST", body, token });
    const n = res.households.reduce((sum, h) => sum + h.need_ids.length, 0);
    out.textContent = t("report.sent", { n });
    out.className = "ok";
  } catch (err) {
    out.textContent = t("report.failed", { msg: err.message });
    out.className = "error";
  }
}

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  });
}

async function sendSos() {
  const out = $("sos-result");
  const button = $("sos-send");
  button.disabled = true;
  out.className = "";
  out.textContent = t("sos.locating");
  try {
    const here = await position();
    const at = here || { lon: household.lon, lat: household.lat };
    const body = { ...at, household_id: household.id, description: $("sos-text").value.trim() };
    if ($("sos-who").value) body.person_id = $("sos-who").value;
    const need = await api(`/api/v1/incidents/${incidentId()}/sos`, { method: "POST", body, token });
    const time = new Date().toLocaleTimeString();
    out.textContent = (here ? "" : `${t("sos.home")}。 `) + t("sos.sent", { time, id: need.id.slice(0, 8) });
    out.className = "ok";
    out.dataset.need = need.id;
  } catch (err) {
    out.textContent = t("sos.failed", { msg: err.message });
    out.className = "error";
  } finally {
    button.disabled = false;
  }
}

function render() {
  applyStrings(document, t);
  document.title = t("title");
  if (!household) return;
  $("household-title").textContent = t("household.title", { code: household.code || "" });
  const members = household.members || [];
  $("members").replaceChildren(...members.map(memberRow));
  if (!household.members) $("members").append(el("p", { className: "error", textContent: t("household.members_hidden") }));
  const who = $("sos-who");
  who.replaceChildren(el("option", { value: "", textContent: t("sos.household") }));
  members.forEach((m, i) => who.append(el("option", { value: m.id, textContent: memberName(m, i) })));
  const live = incidents.length > 0;
  $("no-incident").hidden = live;
  $("incident-pick").hidden = !live;
  $("sos").hidden = $("report").hidden = !live;
  $("incident").replaceChildren(...incidents.map((i) => el("option", { value: i.id, textContent: i.title })));
}

async function start(given) {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  const mine = await api("/api/v1/households?limit=1", { token: given });
  household = await api(`/api/v1/households/${mine.items[0].id}`, { token: given });
  incidents = (await api("/api/v1/incidents?status=active", { token: given })).items;
  render();
}

function showLogin(message = "") {
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
}

async function login(given) {
  try {
    token = await obtain(given);
    await signIn(TOKEN_KEY, token, ["household_contact"]);
    await start(token);
  } catch (err) {
    if (err.status === 401) forget(TOKEN_KEY);
    showLogin(err.role ? t("login.role") : t("login.bad", { msg: err.message }));
  }
}

// Switching the language redraws the form and keeps what was filled in.
$("lang").onclick = () => {
  const filled = [...document.querySelectorAll("fieldset.member")].map((box) => [
    box.dataset.person,
    box.querySelector("input[type=radio]:checked")?.value,
    box.querySelector(".need-kind").value,
    box.querySelector(".need-text").value,
  ]);
  setLang(getLang() === "en" ? "zh-CN" : "en");
  render();
  for (const [person, status, kind, text] of filled) {
    const box = document.querySelector(`fieldset.member[data-person="${person}"]`);
    if (!box || !status) continue;
    box.querySelector(`input[value=${status}]`).click();
    box.querySelector(".need-kind").value = kind;
    box.querySelector(".need-text").value = text;
  }
};
$("logout").onclick = () => {
  forget(TOKEN_KEY);
  token = household = null;
  showLogin();
};
$("login-form").onsubmit = (e) => {
  e.preventDefault();
  login(pasted(e.target.secret.value));
};
$("all-safe").onclick = () => {
  for (const r of document.querySelectorAll("fieldset.member input[value=safe]")) r.checked = true;
  for (const n of document.querySelectorAll("fieldset.member .need")) n.hidden = true;
};
$("report-form").onsubmit = sendReport;
$("sos-send").onclick = sendSos;
render();
const fromLink = fromAddress();
if (fromLink) login(fromLink);
else if (savedToken(TOKEN_KEY)) login({ token: savedToken(TOKEN_KEY) });
else showLogin();
