// One assignment as a card: what, where, distance, items, depot, countdown, and the
// buttons its (possibly still pending) status allows. Text from the server goes in with
// textContent only.
import { getLang } from "../common/i18n.js";

export const FINAL = ["done", "declined", "expired", "withdrawn", "failed", "cancelled"];

// The next reports a volunteer may make from ``status`` (dispatch_rules.py's table).
export function nextSteps(status, hasDepot) {
  switch (status) {
    case "accepted":
      return [hasDepot ? "picked_up" : "en_route", "failed"];
    case "picked_up":
      return ["en_route", "failed"];
    case "en_route":
      return ["arrived", "failed"];
    case "arrived":
      return ["done", "failed"];
    default:
      return [];
  }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

export function geoUri(lon, lat) {
  return `geo:${lat.toFixed(6)},${lon.toFixed(6)}`;
}

// Great-circle km (the server's Earth radius).
export function km(a, b) {
  const r = Math.PI / 180;
  const dlat = (b.lat - a.lat) * r;
  const dlon = (b.lon - a.lon) * r;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
}

export function left(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// A catalogue base unit in the page's language (the catalogue's own code otherwise).
function unit(code, t) {
  const said = t(`unit.${code}`);
  return said === `unit.${code}` || getLang() === "en" ? code : said;
}

function items(a, t) {
  if (!a.items?.length) return null;
  const en = getLang() === "en";
  const list = el("ul", { class: "items" });
  for (const line of a.items) {
    const name = en && line.name_en ? line.name_en : line.name;
    list.append(el("li", { text: `${name} × ${line.quantity} ${unit(line.unit || "", t)}`.trim() }));
  }
  return el("div", {}, el("h4", { text: t("card.items") }), list);
}

function where(a, t, here) {
  const need = a.need || {};
  const box = el("div", { class: "where" });
  if (a.distance_m != null) {
    const min = Math.max(1, Math.round((a.eta_s || 0) / 60));
    box.append(el("p", { text: t("card.route", { km: (a.distance_m / 1000).toFixed(1), min }) }));
  }
  if (here && need.lon != null) {
    const d = km(here, need).toFixed(1);
    box.append(el("p", { class: "here", text: t("card.here", { km: d }) }));
  }
  box.append(el("p", { text: a.depot ? t("card.pickup", { depot: a.depot.name }) : t("card.no_pickup") }));
  const links = el("p", { class: "nav" });
  if (need.lon != null) {
    links.append(el("a", { class: "nav-need", href: geoUri(need.lon, need.lat), text: t("card.nav") }));
  }
  if (a.depot) {
    links.append(el("a", { class: "nav-depot", href: geoUri(a.depot.lon, a.depot.lat), text: t("card.nav_depot") }));
  }
  box.append(links);
  return box;
}

// ``view``: {a, status (effective), pending: [labels], here, skew, t, act(type, data),
// draft}. ``draft`` ({text, missing}) outlives the card: the page redraws every card on
// each event or position update, and a reason being typed, or the mark that one is
// missing, must not vanish with the old card.
export function card({ a, status, pending, here, t, act, draft = { text: "", missing: false } }) {
  const need = a.need || {};
  const root = el("article", { class: `card st-${status}`, "data-id": a.id, "data-status": status });
  const kind = t(`kind.${need.kind || "other"}`);
  root.append(
    el("header", {},
      el("strong", { class: "kind", text: kind }),
      el("span", { class: "prio", text: t("card.priority", { p: Math.round(need.priority ?? 0) }) }),
      el("span", { class: "badge", text: t(`status.${status}`) })),
    need.summary ? el("p", { class: "summary", text: need.summary }) : null,
    where(a, t, here),
    items(a, t),
  ); // prettier-ignore
  if (status === "offered" && a.deadline) {
    root.append(el("p", { class: "countdown", "data-deadline": a.deadline }));
  }
  for (const p of pending) root.append(el("p", { class: "pending", text: p }));
  if (FINAL.includes(status)) {
    root.append(el("p", { class: "closed", text: t("card.closed", { status: t(`status.${status}`) }) }));
    return root;
  }
  const reason = el("input", { class: "reason", type: "text", maxlength: "500" });
  reason.value = draft.text;
  const buttons = el("div", { class: "actions" });
  if (status === "offered") {
    reason.placeholder = t("decline.reason");
    buttons.append(
      el("button", { class: "accept primary", text: t("accept"), onclick: () => act("offer.accept", {}) }),
      el("button", { class: "decline", text: t("decline"),
        onclick: () => act("offer.decline", reason.value.trim() ? { reason: reason.value.trim() } : {}) }),
    ); // prettier-ignore
  } else {
    reason.placeholder = t("failed.reason");
    for (const step of nextSteps(status, Boolean(a.depot))) {
      const failing = step === "failed";
      buttons.append(el("button", {
        class: `do-${step}${failing ? " danger" : " primary"}`,
        text: t(`do.${step}`),
        onclick: () => {
          if (failing && !reason.value.trim()) {
            draft.missing = true;
            reason.setCustomValidity(t("failed.need_reason"));
            reason.reportValidity();
            return;
          }
          const data = { status: step };
          if (failing) data.reason = reason.value.trim();
          act("assignment.status", data);
        },
      })); // prettier-ignore
    }
  }
  if (draft.missing) reason.setCustomValidity(t("failed.need_reason"));
  reason.addEventListener("input", () => {
    draft.text = reason.value;
    draft.missing = false;
    reason.setCustomValidity("");
  });
  root.append(buttons, reason);
  return root;
}
