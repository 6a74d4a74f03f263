// What a coordinator does on the map: declare an incident (an epicentre and a radius, or a
// drawn polygon), raise a need at a clicked point, stand an incident down.
import { api } from "../common/api.js";

const L = window.L;

export function setupActions(ctx) {
  const { t, map } = ctx;
  const $ = (id) => document.getElementById(id);
  const hint = (key) => ($("hint").textContent = key ? t(key) : "");
  const declareForm = $("declare-form");
  const needForm = $("need-form");
  const draft = L.featureGroup().addTo(map);
  let mode = null;
  let centre = null;
  let vertices = [];
  let needAt = null;

  function reset() {
    mode = null;
    centre = null;
    vertices = [];
    needAt = null;
    draft.clearLayers();
    declareForm.hidden = true;
    needForm.hidden = true;
    $("finish-polygon").hidden = true;
    hint(null);
  }

  function radiusM() {
    return Math.round(parseFloat(declareForm.radius_km.value || "0") * 1000);
  }

  function drawCircle() {
    draft.clearLayers();
    if (centre) L.circle(centre, { radius: radiusM(), color: "#b3261e", className: "draft" }).addTo(draft);
  }

  $("declare-circle").onclick = () => {
    reset();
    mode = "circle";
    hint("click_centre");
  };
  $("declare-polygon").onclick = () => {
    reset();
    mode = "polygon";
    hint("click_vertices");
    $("finish-polygon").hidden = false;
  };
  $("finish-polygon").onclick = () => {
    if (vertices.length < 3) return;
    $("finish-polygon").hidden = true;
    declareForm.querySelector(".circle-only").hidden = true;
    declareForm.hidden = false;
    hint(null);
  };
  $("raise-need").onclick = () => {
    reset();
    mode = "need";
    hint("click_need");
  };
  declareForm.radius_km.oninput = drawCircle;
  loadItems(ctx, needForm.item);
  for (const b of document.querySelectorAll("form .cancel")) b.onclick = reset;

  map.on("click", (e) => {
    // Where the pointer is: Leaflet reports a small marker's own centre for a click on it,
    // and a drawn corner or a raised need must not jump onto a nearby marker.
    const at = e.originalEvent ? map.mouseEventToLatLng(e.originalEvent) : e.latlng;
    if (mode === "circle") {
      centre = at;
      drawCircle();
      declareForm.querySelector(".circle-only").hidden = false;
      declareForm.hidden = false;
      hint(null);
    } else if (mode === "polygon") {
      vertices.push(at);
      draft.clearLayers();
      L.polygon(vertices, { color: "#b3261e", className: "draft" }).addTo(draft);
    } else if (mode === "need") {
      needAt = at;
      draft.clearLayers();
      L.circleMarker(needAt, { radius: 8, color: "#d32f2f", className: "draft" }).addTo(draft);
      needForm.hidden = false;
      hint(null);
    }
  });

  declareForm.onsubmit = async (ev) => {
    ev.preventDefault();
    const f = declareForm;
    const body = { title: f.title.value, hazard: f.hazard.value, level: f.level.value };
    if (mode === "circle") {
      body.centre = { lon: centre.lng, lat: centre.lat };
      body.radius_m = radiusM();
    } else {
      const ring = vertices.map((p) => [p.lng, p.lat]);
      body.area = { type: "Polygon", coordinates: [[...ring, ring[0]]] };
    }
    await ctx.guard(async () => {
      const inc = await api("/api/v1/incidents", { method: "POST", body, token: ctx.token });
      ctx.selectIncident(inc.id);
      reset();
      ctx.toast(t("declared", { title: inc.title }));
      ctx.refresh();
    });
  };

  needForm.onsubmit = async (ev) => {
    ev.preventDefault();
    const f = needForm;
    const body = {
      kind: f.kind.value,
      severity: parseInt(f.severity.value, 10),
      description: f.description.value,
      lon: Number(needAt.lng.toFixed(6)),
      lat: Number(needAt.lat.toFixed(6)),
    };
    if (f.item.value) body.items = [{ item_code: f.item.value, quantity: parseInt(f.quantity.value, 10) }];
    await ctx.guard(async () => {
      const need = await api(`/api/v1/incidents/${ctx.incidentId}/needs`, { method: "POST", body, token: ctx.token });
      reset();
      ctx.toast(t("need_raised"));
      ctx.refresh();
      ctx.openNeed(need.id);
    });
  };

  return { reset };
}

async function loadItems(ctx, select) {
  const page = await api("/api/v1/items?limit=500", { token: ctx.token });
  const zh = document.documentElement.lang === "zh-CN";
  for (const item of page.items) {
    const option = document.createElement("option");
    option.value = item.code;
    option.textContent = `${zh ? item.name_zh : item.name_en} (${item.base_unit})`;
    select.append(option);
  }
}

export async function standDown(ctx, incident) {
  await ctx.guard(async () => {
    await api(`/api/v1/incidents/${incident.id}/stand-down`, { method: "POST", token: ctx.token });
    ctx.toast(ctx.t("stood_down", { title: incident.title }));
    ctx.refresh();
  });
}
