// The client side of the socket protocol (README "Live sockets"): auth first with the last
// seq/epoch kept in localStorage per path, replayed events in order, duplicates dropped by
// seq, heartbeats answered with ping, reconnects with backoff (at once when the browser
// comes back online). onStatus("connecting" | "live" | "offline"); onState(message) for
// every `state` message (after a fresh start or a `resume.reload`); onEvent(event).
import { newId } from "./api.js";

const CLOSE_REFUSED = 4401;

function storeKey(path) {
  return `huzhu.ws:${path}`;
}

function load(path, token) {
  try {
    const saved = JSON.parse(localStorage.getItem(storeKey(path)) || "null");
    // Positions belong to one token: another user starts fresh.
    if (saved && saved.tag === token.slice(-16)) return saved;
  } catch {
    /* a damaged entry starts fresh */
  }
  return { tag: token.slice(-16), last_seq: null, epoch: null };
}

export function connectSocket({ path, token, onEvent = () => {}, onState = () => {}, onStatus = () => {} }) {
  const pos = load(path, token);
  const waiting = new Map(); // message id → {resolve, reject}
  let ws = null;
  let live = false;
  let stopped = false;
  let delay = 500;
  let timer = null;

  const save = () => localStorage.setItem(storeKey(path), JSON.stringify(pos));
  const status = (s) => onStatus(s);

  function failWaiting() {
    for (const { reject } of waiting.values()) {
      const err = new Error("offline");
      err.offline = true;
      reject(err);
    }
    waiting.clear();
  }

  function schedule() {
    if (stopped || timer) return;
    const wait = delay * (0.5 + Math.random());
    delay = Math.min(15000, delay * 2);
    timer = setTimeout(() => {
      timer = null;
      open();
    }, wait);
  }

  function open() {
    if (stopped || ws) return;
    status("connecting");
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const sock = new WebSocket(`${proto}://${location.host}${path}`);
    const authId = newId();
    ws = sock;
    sock.onopen = () => {
      const data = { token, last_seq: pos.last_seq, epoch: pos.epoch };
      sock.send(JSON.stringify({ id: authId, type: "auth", data }));
    };
    sock.onmessage = (m) => handle(sock, authId, JSON.parse(m.data));
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      live = false;
      failWaiting();
      status("offline");
      if (ev.code === CLOSE_REFUSED) {
        stopped = true;
        onEvent({ type: "socket.refused", data: { reason: ev.reason } });
        return;
      }
      schedule();
    };
  }

  function handle(sock, authId, msg) {
    if (msg.re !== undefined) {
      if (msg.re === authId) {
        if (msg.ok) {
          pos.epoch = msg.data.epoch;
          save();
          live = true;
          delay = 500;
          status("live");
        }
        return;
      }
      const w = waiting.get(msg.re);
      waiting.delete(msg.re);
      if (w) w.resolve(msg);
      return;
    }
    if (msg.type === "heartbeat") {
      sock.send(JSON.stringify({ id: newId(), type: "ping", data: {} }));
      return;
    }
    if (msg.type === "resume.reload") {
      pos.last_seq = null;
      pos.epoch = msg.epoch;
      return;
    }
    if (msg.type === "state") {
      pos.last_seq = msg.seq;
      pos.epoch = msg.epoch;
      save();
      onState(msg);
      return;
    }
    if (typeof msg.seq === "number") {
      if (msg.epoch === pos.epoch && pos.last_seq !== null && msg.seq <= pos.last_seq) return;
      pos.last_seq = msg.seq;
      pos.epoch = msg.epoch;
      save();
    }
    onEvent(msg);
  }

  function reconnectNow() {
    if (stopped || ws) return;
    clearTimeout(timer);
    timer = null;
    delay = 500;
    open();
  }

  function dropForOffline() {
    if (ws) ws.close(4000, "browser offline");
  }

  window.addEventListener("online", reconnectNow);
  window.addEventListener("offline", dropForOffline);
  open();

  return {
    // Resolves with the answer {re, ok, data | error}; rejects (err.offline) when not live.
    send(type, data = {}, { id } = {}) {
      if (!live || !ws) {
        const err = new Error("offline");
        err.offline = true;
        return Promise.reject(err);
      }
      const mid = id || newId();
      return new Promise((resolve, reject) => {
        waiting.set(mid, { resolve, reject });
        ws.send(JSON.stringify({ id: mid, type, data }));
      });
    },
    get live() {
      return live;
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      window.removeEventListener("online", reconnectNow);
      window.removeEventListener("offline", dropForOffline);
      if (ws) ws.close(1000);
    },
  };
}
