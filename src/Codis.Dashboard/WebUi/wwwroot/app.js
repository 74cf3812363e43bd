// The dashboard's web UI: one page, five sections chosen by the URL's #hash, refreshed every second from
// /api/topom/stats (everything the pages show comes from that one call), plus the coordinator's product list.

import { api, routes, ApiError } from "./api.js";
import { Series } from "./charts.js";
import { showError, clearError, esc } from "./ui.js";
import * as overview from "./views/overview.js";
import * as slots from "./views/slots.js";
import * as groups from "./views/groups.js";
import * as proxies from "./views/proxies.js";
import * as migration from "./views/migration.js";

const pages = { overview, slots, groups, proxies, migration };
const REFRESH_MS = 1000;

/** What the pages read: the latest stats, and the history the charts and rates need. */
export const state = {
  stats: null,
  overview: null,
  products: [],
  at: 0,
  total: new Series(),
  perProxy: new Map(), // token → Series
  moved: [], // {t, keys, actions}: moved_keys and queued actions over time (keys/s, ETA)
  refresh: () => refresh(),
};

function currentPage() {
  const p = location.hash.replace(/^#/, "");
  return pages[p] ? p : "overview";
}

function show() {
  const page = currentPage();
  for (const name of Object.keys(pages)) {
    document.getElementById(`page-${name}`).hidden = name !== page;
    document.querySelector(`nav a[data-page="${name}"]`).classList.toggle("active", name === page);
  }
  if (state.stats) pages[page].render(state);
}

async function loadProducts() {
  const r = await api.get(routes.products);
  state.products = r.products;
  const me = r.products.find(p => p.current);
  if (me) api.xauth = me.xauth;
  state.overview = await api.get(routes.overview);
  if (r.error) showError("Product list:", r.error, "products");
  else clearError("products");
  renderProducts();
}

function renderProducts() {
  const sel = document.getElementById("product");
  const html = state.products.map(p =>
    `<option value="${esc(p.name)}"${p.current ? " selected" : ""}>${esc(p.name)}${p.current ? "" : p.dashboard ? ` (dashboard ${esc(p.dashboard)})` : " (no dashboard running)"}</option>`).join("");
  if (sel.dataset.html !== html) {
    sel.innerHTML = html;
    sel.dataset.html = html;
  }
  sel.disabled = state.products.length < 2;
}

document.getElementById("product").addEventListener("change", e => {
  const p = state.products.find(x => x.name === e.target.value);
  const me = state.products.find(x => x.current);
  if (!p || p.current) return;
  e.target.value = me?.name ?? "";
  if (!p.dashboard) {
    showError(`Product ${p.name}:`, `no dashboard holds its lock in the coordinator, so there is nothing to show; start one with codis-dashboard --product_name ${p.name}`);
    return;
  }
  // every product has its own dashboard (the single writer of its topology): open that one's UI
  location.href = `http://${p.dashboard}/${location.hash}`;
});

function sample(stats) {
  const now = Date.now();
  state.total.add(now, stats.summary.qps);
  const seen = new Set();
  for (const m of stats.proxy.models) {
    const token = m.model.token;
    seen.add(token);
    if (!state.perProxy.has(token)) state.perProxy.set(token, new Series());
    const st = stats.proxy.stats[token]?.stats;
    state.perProxy.get(token).add(now, st?.ops?.qps ?? 0);
  }
  for (const token of [...state.perProxy.keys()]) if (!seen.has(token)) state.perProxy.delete(token);
  const a = stats.slot_action;
  state.moved.push({ t: now, keys: a.moved_keys, actions: a.actions.length });
  while (state.moved.length && state.moved[0].t < now - 30_000) state.moved.shift();
}

/** The dashboard's last two minutes of ops/s, so the charts start with a history (its clock shifted to ours). */
async function seedHistory() {
  const h = await api.get(routes.opsHistory);
  if (!h.samples.length) return;
  const shift = Date.now() - h.samples[h.samples.length - 1].t;
  for (const s of h.samples) {
    const t = s.t + shift;
    state.total.add(t, s.qps);
    for (const [token, q] of Object.entries(s.proxies)) {
      if (!state.perProxy.has(token)) state.perProxy.set(token, new Series());
      state.perProxy.get(token).add(t, q);
    }
  }
}

let running = false, again = false, seeded = false;
async function refresh() {
  // one call at a time; a refresh asked for meanwhile (after an action) runs right after, not a second later
  if (running) { again = true; return; }
  running = true;
  try {
    if (!api.xauth) await loadProducts();
    if (!seeded) { await seedHistory(); seeded = true; }
    const stats = await api.get(routes.stats);
    state.stats = stats;
    state.at = Date.now();
    sample(stats);
    clearError("refresh");
    // a refresh that was in flight with the old token may have asked for one again after the right one was given
    clearError("token");
    document.getElementById("freshness").textContent = `updated ${new Date(state.at).toLocaleTimeString()}`;
    document.getElementById("freshness").classList.remove("stale");
    show();
  } catch (e) {
    const msg = e instanceof ApiError ? e.message : String(e);
    showError("Can't refresh:", msg, "refresh");
    if (/admin token/.test(msg)) askToken();
    document.getElementById("freshness").textContent = state.at ? `stale since ${new Date(state.at).toLocaleTimeString()}` : "not connected";
    document.getElementById("freshness").classList.add("stale");
  } finally {
    running = false;
    if (again) { again = false; refresh(); }
  }
}

function askToken() {
  if (document.getElementById("token-form")) return;
  const div = showError("Admin token needed:", "this dashboard requires its admin_token on every call.", "token");
  const form = document.createElement("form");
  form.id = "token-form";
  form.className = "inline";
  form.innerHTML = `<input type="password" name="token" placeholder="admin token" required> <button type="submit">Use token</button>`;
  form.onsubmit = ev => {
    ev.preventDefault();
    api.token = form.token.value;
    clearError("token");
    api.xauth = ""; // reload the product list too, so its error from before the token clears now, not 10 s later
    refresh();
  };
  div.append(form);
}

for (const [name, page] of Object.entries(pages)) page.init?.(state, name);
window.addEventListener("hashchange", show);
show();
refresh();
setInterval(refresh, REFRESH_MS);
setInterval(() => loadProducts().catch(e => showError("Product list:", e.message, "products")), 10_000);
