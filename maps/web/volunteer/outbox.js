// The phone's outbox: answers and status changes go into a queue kept in localStorage
// (it survives a reload or a dead battery), are shown as pending, and are sent over the
// socket one at a time, in order. Each entry keeps the client message id it was given
// when queued, so a re-send after a drop carries the same id: the socket answers a
// repeated id without acting again, and the dispatch service treats a repeat of the
// current state as a no-op, so an entry whose answer was lost acts once. An accepted
// entry's answer (the state the server now holds) is handed to ``onAnswered`` before the
// entry leaves the queue, so the page never shows the state from before the tap while the
// matching event is still on its way.
import { newId } from "../common/api.js";

export function makeOutbox({ key, onChange = () => {}, onAnswered = () => {}, onRefused = () => {} }) {
  let items = read();
  let socket = null;
  let flushing = false;

  function read() {
    try {
      const saved = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch {
      return [];
    }
  }

  function save() {
    localStorage.setItem(key, JSON.stringify(items));
    onChange(items.slice());
  }

  async function flush() {
    if (flushing || !socket) return;
    flushing = true;
    try {
      while (items.length && socket.live && navigator.onLine !== false) {
        const head = items[0];
        let answer;
        try {
          answer = await socket.send(head.type, head.data, { id: head.id });
        } catch {
          return; // the link dropped: keep the entry, send it again when live
        }
        items = items.filter((e) => e.id !== head.id);
        if (answer.ok) onAnswered(head, answer.data || {});
        save();
        if (!answer.ok) onRefused(head, answer.error || {});
      }
    } finally {
      flushing = false;
    }
  }

  return {
    get items() {
      return items.slice();
    },
    // Queue a socket message; it is sent now when live, else when the link returns.
    push(type, data) {
      items.push({ id: newId(), type, data, queued_at: new Date().toISOString() });
      save();
      flush();
    },
    attach(sock) {
      socket = sock;
      flush();
    },
    flush,
    clear() {
      items = [];
      save();
    },
  };
}
