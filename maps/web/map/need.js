// The need panel: a need's status, its assignments with the reason each was chosen, the
// volunteers nearby to pin or forbid, and cancelling an assignment or the need.
import { api } from "../common/api.js";

const LIVE = ["proposed", "offered", "accepted", "picked_up", "en_route", "arrived"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick") node.onclick = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

export async function renderNeed(ctx, needId) {
  const { t, token } = ctx;
  const panel = document.getElementById("need-panel");
  const [need, tasks] = await Promise.all([
    api(`/api/v1/needs/${needId}`, { token }),
    api(`/api/v1/needs/${needId}/tasks?limit=50`, { token }),
  ]);
  const near = need.lon != null
    ? await api(`/api/v1/volunteers?near=${need.lon},${need.lat}&km=5&limit=8`, { token })
    : { items: [] };
  const names = Object.fromEntries(near.items.map((v) => [v.id, v.name || v.id.slice(0, 8)]));
  const act = (fn) => () => ctx.guard(async () => {
    await fn();
    ctx.refresh();
  });

  const list = el("ul", { id: "need-assignments" });
  const assignments = tasks.items.flatMap((task) => task.assignments);
  for (const a of assignments) {
    const r = a.reason || {};
    const li = el("li", { class: `assignment as-${a.status}`, "data-assignment": a.id, "data-volunteer": a.volunteer_id },
      el("strong", { class: "as-status" }, t(`as_${a.status}`)), " ",
      names[a.volunteer_id] || a.volunteer_id.slice(0, 8), el("br"),
      t("reason", { km: ((r.distance_m || a.distance_m || 0) / 1000).toFixed(1), min: Math.round((r.eta_s || a.eta_s || 0) / 60), n: r.candidates_considered ?? "?" }));
    if (r.runner_up) li.append(el("br"), t("runner_up", { who: names[r.runner_up.volunteer_id] || r.runner_up.volunteer_id.slice(0, 8) }));
    if (LIVE.includes(a.status)) {
      li.append(" ", el("button", { type: "button", class: "cancel-assignment", onclick: act(() => api(`/api/v1/assignments/${a.id}/cancel`, { method: "POST", token, body: { reason: "coordinator" } })) }, t("cancel_assignment")));
    }
    list.append(li);
  }
  if (!assignments.length) list.append(el("li", {}, t("no_assignments")));

  const cands = el("ul", { id: "need-candidates" });
  for (const v of near.items) {
    const override = (kind) => act(async () => {
      await api(`/api/v1/needs/${needId}/overrides`, { method: "POST", token, body: { kind, volunteer_id: v.id } });
      ctx.toast(t("override_done", { kind: t(kind) }));
    });
    cands.append(el("li", { "data-volunteer": v.id }, names[v.id], " ",
      el("button", { type: "button", class: "pin", onclick: override("pin") }, t("pin")), " ",
      el("button", { type: "button", class: "forbid", onclick: override("forbid") }, t("forbid"))));
  }

  const closed = ["fulfilled", "cancelled"].includes(need.status);
  panel.replaceChildren(
    el("h2", {}, `${t("need")} · ${need.description || need.kind}`),
    el("p", { id: "need-status", "data-status": need.status }, t("need_status", { status: t(`st_${need.status}`) }), " · ", t("priority", { p: Math.round(need.priority) })),
    el("h3", {}, t("assignments")), list,
    el("h3", {}, t("candidates")), cands,
  );
  if (!closed) {
    panel.append(el("button", { type: "button", id: "cancel-need", onclick: act(() => api(`/api/v1/needs/${needId}/status`, { method: "POST", token, body: { to: "cancelled", reason: "coordinator" } })) }, t("cancel_need")));
  }
  panel.hidden = false;
  panel.dataset.need = needId;
}
