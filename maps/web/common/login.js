// Log-in for the phone pages (/v, /h): a saved token, a one-time link (`#hzc_…` in the
// address: spent once at POST /api/v1/invites/exchange), a pasted token or code, or a
// user name and password. The token is kept in localStorage under `key`.
import { api } from "./api.js";

export function savedToken(key) {
  return localStorage.getItem(key);
}

export function forget(key) {
  localStorage.removeItem(key);
}

// The code or token carried by the address (`/h#hzc_…`, `/v#hz_…`), removed from it.
export function fromAddress() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, "")).trim();
  if (!raw) return null;
  history.replaceState(null, "", location.pathname + location.search);
  if (raw.startsWith("hzc_")) return { code: raw };
  if (raw.startsWith("hz_")) return { token: raw };
  return null;
}

// A token for what the user gave: {token} | {code} | {username, password}.
export async function obtain(given) {
  if (given.code) {
    return (await api("/api/v1/invites/exchange", { method: "POST", body: { code: given.code } })).token;
  }
  if (given.username) {
    const body = { username: given.username, password: given.password || "" };
    return (await api("/api/v1/auth/token", { method: "POST", body })).token;
  }
  return given.token;
}

// Check ``token`` (GET /auth/me) against ``roles``; saves it and answers `me`, or throws.
export async function signIn(key, token, roles) {
  const me = await api("/api/v1/auth/me", { token });
  if (!roles.includes(me.role)) {
    const err = new Error(`role ${me.role}`);
    err.role = me.role;
    throw err;
  }
  localStorage.setItem(key, token);
  return me;
}

// The text a pasted value means: a code (hzc_…) or a token.
export function pasted(value) {
  const v = value.trim();
  return v.startsWith("hzc_") ? { code: v } : { token: v };
}
