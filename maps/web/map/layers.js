// The map's layers, drawn from the REST API's GeoJSON lists: areas (the base layer, no tiles
// needed), incidents' affected areas, needs by priority and status, depots with an
// available-stock gauge, volunteers at their live (else home) positions, and lines from
// assigned volunteers to their needs. SVG paths carry classes the browser tests read.
import { api } from "../common/api.js";

const L = window.L;
const LIVE = ["offered", "accepted", "picked_up", "en_route", "arrived"];
const NEED_COLOURS = { open: "#d32f2f", matched: "#f57c00", in_progress: "#1976d2", fulfilled: "#2e7d32", cancelled: "#9e9e9e" };

export function makeLayers(map, t) {
  const g = {};
  for (const name of ["areas", "incident", "lines", "depots", "volunteers", "needs"]) {
    g[name] = L.featureGroup().addTo(map);
  }
  const named = {};
  for (const name of Object.keys(g)) named[t(`layer_${name}`)] = g[name];
  L.control.layers(null, named, { collapsed: true }).addTo(map);
  return g;
}

async function pages(path, token, max = 10) {
  // Every feature of a GeoJSON list (at most `max` pages of 500).
  const out = [];
  let next = null;
  for (let i = 0; i < max; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const url = `${path}${sep}format=geojson&limit=500${next ? `&next=${encodeURIComponent(next)}` : ""}`;
    const fc = await api(url, { token });
    out.push(...fc.features);
    next = fc.next || fc.properties?.next || null;
    if (!next) break;
  }
  return out;
}

export async function drawAreas(ctx) {
  const features = await pages("/api/v1/areas", ctx.token);
  ctx.layers.areas.clearLayers();
  const weight = { 1: 3, 2: 2.5, 3: 2, 4: 1.5, 5: 1 };
  L.geoJSON({ type: "FeatureCollection", features }, {
    style: (f) => ({ color: "#33475b", weight: weight[f.properties.level] || 1, fillOpacity: 0.03, className: `area area-${f.properties.code}` }),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true }),
  }).addTo(ctx.layers.areas);
  const bounds = ctx.layers.areas.getBounds();
  if (bounds.isValid()) ctx.map.fitBounds(bounds);
}

export function drawIncidents(ctx, incidents) {
  ctx.layers.incident.clearLayers();
  for (const inc of incidents) {
    const style = { color: "#b3261e", weight: 2, dashArray: "6 4", fillOpacity: 0.08, className: `incident incident-${inc.id}` };
    const layer = inc.area ? L.geoJSON(inc.area, { style }) : L.circle([inc.centre.lat, inc.centre.lon], { radius: inc.radius_m, ...style });
    layer.bindTooltip(inc.title).addTo(ctx.layers.incident);
  }
}

// The roster carries personal data (each read is logged), so it is read once and again only
// when a volunteer is created, updated or deleted; `volunteer.moved` moves the cached point.
export function volunteerEvent(ctx, ev) {
  if (ev.type !== "volunteer.moved") {
    ctx.volunteers = null;
    return;
  }
  const f = ctx.volunteers?.find((x) => x.properties.id === ev.data.volunteer_id);
  if (f) Object.assign(f.properties, { live_lon: ev.data.lon, live_lat: ev.data.lat });
}

export async function drawLive(ctx, incidents) {
  const t = ctx.t;
  const [needs, depots, vols] = await Promise.all([
    // Needs of the active incidents only, highest priority first.
    Promise.all(incidents.map((i) => pages(`/api/v1/needs?incident=${i.id}`, ctx.token))).then((x) => x.flat()),
    pages("/api/v1/stock/depots", ctx.token, 2),
    ctx.volunteers || pages("/api/v1/volunteers", ctx.token),
  ]);
  ctx.volunteers = vols;
  const assignments = [];
  for (const inc of incidents) {
    const page = await api(`/api/v1/incidents/${inc.id}/assignments?limit=500`, { token: ctx.token });
    assignments.push(...page.items.filter((a) => LIVE.includes(a.status)));
  }
  const busy = new Set(assignments.map((a) => a.volunteer_id));
  const where = {};
  ctx.layers.volunteers.clearLayers();
  for (const f of vols) {
    const p = f.properties;
    const [lon, lat] = p.live_lon != null ? [p.live_lon, p.live_lat] : f.geometry.coordinates;
    where[p.id] = [lat, lon];
    const colour = busy.has(p.id) ? "#1976d2" : "#43a047";
    L.circleMarker([lat, lon], { radius: 4, color: colour, fillOpacity: 0.8, className: `volunteer volunteer-${p.id}${busy.has(p.id) ? " busy" : ""}` })
      .bindTooltip(`${p.name || "—"} · ${t(busy.has(p.id) ? "volunteer_busy" : "volunteer_free")}`)
      .addTo(ctx.layers.volunteers);
  }
  ctx.layers.depots.clearLayers();
  for (const f of depots) {
    const p = f.properties;
    const onHand = p.stock.reduce((s, x) => s + x.on_hand, 0);
    const available = p.stock.reduce((s, x) => s + x.available, 0);
    const share = onHand ? Math.round((100 * available) / onHand) : 0;
    const [lon, lat] = f.geometry.coordinates;
    const fill = onHand ? `hsl(${share * 1.2}, 70%, 45%)` : "#bdbdbd";
    L.circleMarker([lat, lon], { radius: onHand ? 7 : 4, color: "#6d4c41", fillColor: fill, fillOpacity: 0.9, className: `depot depot-${p.id}` })
      .bindTooltip(`${t("depot_stock", { name: p.name, available, on_hand: onHand })} <span class="gauge"><i style="width:${share}%"></i></span>`)
      .addTo(ctx.layers.depots);
  }
  ctx.layers.needs.clearLayers();
  const at = {};
  for (const f of needs) {
    const p = f.properties;
    if (!f.geometry) continue;
    const [lon, lat] = f.geometry.coordinates;
    at[p.id] = [lat, lon];
    const radius = 5 + Math.min(10, Math.round((p.priority || 0) / 8));
    L.circleMarker([lat, lon], { radius, color: NEED_COLOURS[p.status] || "#000", fillOpacity: 0.7, className: `need need-${p.id} st-${p.status}` })
      .bindTooltip(`${t(`st_${p.status}`)} · ${t("priority", { p: Math.round(p.priority) })}<br>${p.description || p.kind}`)
      .on("click", () => ctx.openNeed(p.id))
      .addTo(ctx.layers.needs);
  }
  ctx.layers.lines.clearLayers();
  for (const a of assignments) {
    if (!where[a.volunteer_id] || !at[a.need_id]) continue;
    L.polyline([where[a.volunteer_id], at[a.need_id]], { color: "#1976d2", weight: 2, dashArray: "4 4", className: `line line-${a.id} as-${a.status}` })
      .bindTooltip(t(`as_${a.status}`))
      .addTo(ctx.layers.lines);
  }
}
