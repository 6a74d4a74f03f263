// The side lists: active incidents (select, stand down), the alert inbox (escalated needs
// and overdue check-ins, from the incident timelines so an away coordinator sees history,
// then live from the socket) and the chain board per community, opening per grid.
import { api } from "../common/api.js";
import { standDown } from "./actions.js";

const ALERTS = ["need.escalated", "checkin.escalated", "checkin.overdue"];

function li(attrs, ...children) {
  const node = document.createElement("li");
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function renderIncidents(ctx, incidents) {
  const ul = document.getElementById("incidents");
  ul.replaceChildren();
  if (!incidents.length) ul.append(li({}, ctx.t("no_incident")));
  for (const inc of incidents) {
    const pick = document.createElement("input");
    pick.type = "radio";
    pick.name = "incident";
    pick.checked = inc.id === ctx.incidentId;
    pick.onchange = () => ctx.selectIncident(inc.id);
    const down = document.createElement("button");
    down.type = "button";
    down.className = "stand-down";
    down.textContent = ctx.t("stand_down");
    down.onclick = () => standDown(ctx, inc);
    const label = document.createElement("label");
    label.append(pick, ` ${inc.title} · ${inc.level} `);
    ul.append(li({ class: "incident", "data-incident": inc.id }, label, down));
  }
}

export function makeInbox(ctx) {
  const seen = new Set();
  const ul = document.getElementById("alerts");
  const count = document.getElementById("alert-count");

  function text(ev) {
    const d = ev.data || {};
    if (ev.type === "need.escalated") return ctx.t("alert_need_escalated", { kind: d.kind, n: d.turned_down ?? 0 });
    if (ev.type === "checkin.escalated") {
      return ctx.t("alert_checkin_escalated", { level: d.level, n: (d.household_ids || []).length });
    }
    return ctx.t("alert_checkin_overdue", { persons: d.persons, vulnerable: d.vulnerable });
  }

  function add(ev) {
    if (!ALERTS.includes(ev.type) || seen.has(ev.seq)) return;
    seen.add(ev.seq);
    const when = new Date(ev.at).toLocaleString();
    const item = li({ class: `alert alert-${ev.type.replace(".", "-")}` }, `${when} · ${text(ev)}`);
    const need = ev.type === "need.escalated" ? ev.data.id : ev.data?.visit_need_id;
    if (need) {
      item.dataset.need = need;
      item.style.cursor = "pointer";
      item.onclick = () => ctx.openNeed(need);
    }
    ul.prepend(item);
    count.textContent = String(seen.size);
  }

  async function history(incidents) {
    for (const inc of incidents) {
      let next = null;
      for (let i = 0; i < 20; i++) {
        const q = next ? `&next=${encodeURIComponent(next)}` : "";
        const page = await api(`/api/v1/incidents/${inc.id}/timeline?limit=500${q}`, { token: ctx.token });
        page.items.forEach(add);
        next = page.next;
        if (!next) break;
      }
    }
  }

  return { add, history };
}

export async function renderBoard(ctx) {
  const ul = document.getElementById("board");
  if (!ctx.incidentId) return ul.replaceChildren();
  const open = (ctx.boardOpen ||= new Set()); // communities shown per grid
  const url = `/api/v1/incidents/${ctx.incidentId}/board`;
  const board = await api(url, { token: ctx.token });
  const row = (r, cls, name) => li({ class: cls, "data-code": r.community_code || "" }, ctx.t("board_row", {
    name,
    h: `${r.households.confirmed}/${r.households.total}`,
    v: `${r.vulnerable.confirmed}/${r.vulnerable.total}`,
    o: r.overdue_households,
  }));
  const items = [];
  for (const r of board.rows) {
    const item = row(r, "board-community", r.name || r.community_code);
    item.onclick = () => {
      open.has(r.community_code) ? open.delete(r.community_code) : open.add(r.community_code);
      renderBoard(ctx);
    };
    items.push(item);
    if (!open.has(r.community_code)) continue;
    const grids = await api(`${url}?community=${r.community_code}`, { token: ctx.token });
    const sub = document.createElement("ul");
    sub.className = "board-grids";
    for (const g of grids.rows) sub.append(row(g, "board-grid", `${g.grid_code || "—"} ${ctx.t("grid")}`));
    items.push(sub);
  }
  ul.replaceChildren(...items);
}
