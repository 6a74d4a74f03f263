// Page strings in one place per page: makeT({"zh-CN": {...}, "en": {...}}) → t(key, vars).
// The language is localStorage["huzhu.lang"] (default zh-CN); missing keys fall back to zh-CN.

const KEY = "huzhu.lang";
export const LANGS = ["zh-CN", "en"];

export function getLang() {
  const lang = localStorage.getItem(KEY);
  return LANGS.includes(lang) ? lang : "zh-CN";
}

export function setLang(lang) {
  localStorage.setItem(KEY, LANGS.includes(lang) ? lang : "zh-CN");
  document.documentElement.lang = getLang();
}

export function makeT(strings) {
  return function t(key, vars = {}) {
    const table = strings[getLang()] || {};
    const text = table[key] ?? strings["zh-CN"]?.[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  };
}

// Fill every [data-t] element's text (and [data-t-placeholder], [data-t-title]) under root.
export function applyStrings(root, t) {
  document.documentElement.lang = getLang();
  for (const el of root.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of root.querySelectorAll("[data-t-placeholder]")) {
    el.placeholder = t(el.dataset.tPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-t-title]")) el.title = t(el.dataset.tTitle);
}
