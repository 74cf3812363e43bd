// Small helpers shared by the pages: escaping, formatting, group colours, the error list and the confirmation dialog.

export function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Sets innerHTML only when it changed, so buttons and hovers are not replaced on every refresh. */
export function setHtml(el, html) {
  if (el.dataset.html !== html) {
    el.innerHTML = html;
    el.dataset.html = html;
  }
}

export function fmtBytes(n) {
  n = Number(n) || 0;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 || n >= 100 ? 0 : 1)} ${units[i]}`;
}

export function fmtInt(n) { return (Number(n) || 0).toLocaleString("en-US"); }

export function fmtDuration(s) {
  if (!isFinite(s) || s < 0) return "unknown";
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** Contiguous ranges of sorted slot numbers: [0,1,2,5] → "0-2, 5". */
export function ranges(ids) {
  const out = [];
  let start = null, prev = null;
  for (const id of [...ids].sort((a, b) => a - b)) {
    if (start === null) { start = prev = id; continue; }
    if (id === prev + 1) { prev = id; continue; }
    out.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = id;
  }
  if (start !== null) out.push(start === prev ? `${start}` : `${start}-${prev}`);
  return out.join(", ");
}

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f", "#e15759", "#86bcb6", "#8cd17d", "#d4a6c8"];

export function groupColor(gid) {
  if (!gid) return "#d9dde3";
  if (gid <= PALETTE.length) return PALETTE[gid - 1];
  return `hsl(${(gid * 137.508) % 360} 55% 55%)`;
}

// ---- errors, shown in words until dismissed (or, for a keyed error, until it clears) ----

const keyed = new Map();

/** Shows "what: message"; with a key, replaces the previous error of that key (e.g. the refresh loop's). */
export function showError(what, message, key) {
  const box = document.getElementById("errors");
  if (key && keyed.has(key)) keyed.get(key).remove();
  const div = document.createElement("div");
  div.className = "error";
  div.setAttribute("role", "alert");
  div.innerHTML = `<strong>${esc(what)}</strong> <span class="message">${esc(message)}</span> <button class="dismiss" title="dismiss">×</button>`;
  div.querySelector(".dismiss").onclick = () => { div.remove(); if (key) keyed.delete(key); };
  box.prepend(div);
  if (key) keyed.set(key, div);
  return div;
}

export function clearError(key) {
  keyed.get(key)?.remove();
  keyed.delete(key);
}

export function showNotice(message) {
  const box = document.getElementById("notices");
  const div = document.createElement("div");
  div.className = "notice";
  div.setAttribute("role", "status");
  div.innerHTML = `<span class="message">${esc(message)}</span> <button class="dismiss" title="dismiss">×</button>`;
  div.querySelector(".dismiss").onclick = () => div.remove();
  box.prepend(div);
  setTimeout(() => div.remove(), 5000);
}

// ---- the confirmation dialog: says what will happen, nothing runs until OK ----

/** Resolves true when the operator confirms. html is trusted markup built with esc(). */
export function confirmAction(title, html, okLabel = "OK") {
  const dlg = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").innerHTML = html;
  document.getElementById("confirm-yes").textContent = okLabel;
  return new Promise(resolve => {
    dlg.onclose = () => resolve(dlg.returnValue === "ok");
    dlg.returnValue = "";
    dlg.showModal();
  });
}

/** Runs an operation after confirmation; its failure is shown in words with what was tried. */
export async function confirmed(title, html, okLabel, run, done) {
  if (!(await confirmAction(title, html, okLabel))) return false;
  try {
    const r = await run();
    if (done) showNotice(typeof done === "function" ? done(r) : done);
    return true;
  } catch (e) {
    showError(`${title} failed:`, e.message);
    return false;
  }
}
