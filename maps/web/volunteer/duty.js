// On / off duty. Going on duty needs the volunteer's explicit consent to share their
// position; while on duty the phone's position goes to the server (a `position` socket
// message, or POST /api/v1/volunteers/me/position when the socket is down) at most every
// MIN_MS. Off duty stops the watch; nothing is shared. The choice survives a reload.
import { api } from "../common/api.js";

const KEY = "huzhu.v.duty";
const MIN_MS = 10000;

export function makeDuty({ token, socket, onChange = () => {} }) {
  let watch = null;
  let lastSent = 0;
  let here = null;
  let error = null;
  let sharedAt = null;

  async function share(pos) {
    here = { lon: pos.coords.longitude, lat: pos.coords.latitude };
    error = null;
    const now = Date.now();
    if (now - lastSent < MIN_MS) return onChange();
    lastSent = now;
    const body = { ...here, accuracy_m: pos.coords.accuracy ?? null };
    try {
      if (socket().live) {
        const answer = await socket().send("position", body);
        if (!answer.ok) throw new Error(answer.error?.detail || "refused");
      } else {
        await api("/api/v1/volunteers/me/position", { method: "POST", body, token });
      }
      sharedAt = new Date();
    } catch {
      lastSent = 0; // try again with the next fix
    }
    onChange();
  }

  function start() {
    if (!navigator.geolocation) {
      error = "geolocation unavailable";
      return onChange();
    }
    localStorage.setItem(KEY, "on");
    lastSent = 0;
    watch = navigator.geolocation.watchPosition(share, (e) => {
      error = e.message || String(e.code);
      onChange();
    }, { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 }); // prettier-ignore
    onChange();
  }

  function stop() {
    localStorage.removeItem(KEY);
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    sharedAt = null;
    onChange();
  }

  if (localStorage.getItem(KEY) === "on") start();

  return {
    start,
    stop,
    get on() {
      return watch !== null;
    },
    get here() {
      return here;
    },
    get error() {
      return error;
    },
    get sharedAt() {
      return sharedAt;
    },
  };
}
