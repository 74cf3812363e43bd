// Proxies: status, sessions, ops/s and failures from each proxy's stats, with online / offline.

import { api, routes } from "../api.js";
import { esc, setHtml, fmtInt, confirmed } from "../ui.js";
import { fmtNum } from "../charts.js";

let state;

export function init(s) {
  state = s;
  document.getElementById("add-proxy").addEventListener("submit", async e => {
    e.preventDefault();
    const addr = e.target.addr.value.trim();
    const ok = await confirmed(`Add proxy ${addr}`,
      `<p>The dashboard asks the codis-proxy whose admin API is at <b>${esc(addr)}</b> for its model, checks it serves product ${esc(state.stats?.product_name)}, records it, sends it the full slot table and starts it: it accepts clients from then on.</p>`,
      "Add and bring online", () => api.put(routes.proxyOnline(addr)), p => `proxy ${p.proxy_id || addr} is online`);
    if (ok) { e.target.reset(); state.refresh(); }
  });
  document.getElementById("proxies").addEventListener("click", async e => {
    const b = e.target.closest("button[data-action]");
    if (!b) return;
    const m = state.stats.proxy.models.find(x => x.model.token === b.dataset.token);
    if (!m) return;
    const name = m.model.proxy_id || `proxy ${m.model.id}`;
    const alive = state.stats.proxy.stats[m.model.token]?.stats?.sessions?.alive ?? 0;
    let ok = false;
    if (b.dataset.action === "online") {
      ok = await confirmed(`Bring ${name} online`,
        `<p>Sends ${esc(name)} (${esc(m.model.proxy_addr)}) the full slot table and starts it: it accepts clients on ${esc(m.model.proxy_addr)} from then on.</p>`,
        "Bring online", () => api.put(routes.proxyOnlineId(m.model.token)), `${name} is online`);
    } else if (b.dataset.action === "offline") {
      ok = await confirmed(`Take ${name} offline`,
        `<p>Shuts ${esc(name)} (${esc(m.model.proxy_addr)}) down and removes it from the product: <b>its ${alive} client connection(s) are closed</b> and the codis-proxy process exits.
         Clients must use another proxy. To bring it back, start codis-proxy again (it registers itself) or add it here by its admin address.</p>
         <p>A proxy that can't be reached is removed anyway.</p>`,
        "Take offline", () => api.put(routes.proxyOffline(m.model.token)), `${name} is offline and removed`);
    }
    if (ok) state.refresh();
  });
}

export function render(s) {
  const st = s.stats;
  const rows = st.proxy.models.map(m => {
    const p = m.model, h = st.proxy.stats[p.token], ps = h?.stats;
    const status = h?.error ? `unreachable: ${h.error}` : !m.online ? "offline" : ps && !ps.online ? "starting" : "online";
    const cls = h?.error ? "down" : m.online ? "online" : "offline";
    return `<tr data-proxy="${esc(p.proxy_id || p.token)}" data-token="${esc(p.token)}" class="${cls}">
      <td>${p.id}</td><td>${esc(p.proxy_id)}</td><td>${esc(p.proxy_addr)}</td><td>${esc(p.admin_addr)}</td>
      <td class="status">${esc(status)}</td>
      <td class="num">${ps ? `${fmtInt(ps.sessions.alive)} <small>/ ${fmtInt(ps.sessions.total)}</small>` : ""}</td>
      <td class="num qps">${ps ? fmtNum(ps.ops.qps) : ""}</td>
      <td class="num">${ps ? fmtInt(ps.ops.total) : ""}</td>
      <td class="num">${ps ? fmtInt(ps.ops.fails) + (ps.ops.redis?.errors ? ` <small>(+${fmtInt(ps.ops.redis.errors)} redis errors)</small>` : "") : ""}</td>
      <td class="actions">${m.online ? "" : `<button data-action="online" data-token="${esc(p.token)}">Online</button>`}
        <button data-action="offline" data-token="${esc(p.token)}">Offline</button></td>
    </tr>`;
  }).join("");
  setHtml(document.getElementById("proxies"), rows
    ? `<thead><tr><th>id</th><th>proxy id</th><th>address</th><th>admin</th><th>status</th><th>sessions</th><th>ops/s</th><th>ops</th><th>failures</th><th></th></tr></thead><tbody>${rows}</tbody>`
    : `<tbody><tr><td class="empty">No proxies registered. Start codis-proxy with --dashboard pointing here, or add one by its admin address above.</td></tr></tbody>`);
}
