// Overview: the product's figures at a glance and the live ops/s charts (product total and per proxy).

import { drawChart, fmtNum } from "../charts.js";
import { esc, setHtml, fmtBytes, fmtInt, groupColor } from "../ui.js";

function card(label, value, detail, name) {
  return `<div class="card" data-card="${name}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="detail">${esc(detail ?? "")}</div></div>`;
}

/** The Redis Sentinels (docs/guide/failover.md, "With Redis Sentinel"): the list, whether it is in sync, the masters they named. */
function sentinels(x) {
  const servers = x?.model?.servers ?? [];
  if (servers.length === 0) return "none (the dashboard fails over)";
  const down = servers.filter(a => x.stats?.[a]?.error).length;
  const masters = Object.entries(x.masters ?? {}).map(([gid, addr]) => `group ${gid}: ${addr}`).join("; ");
  return `${servers.join(", ")}${down ? ` (${down} not answering)` : ""}; ${x.model.out_of_sync ? "out of sync: run codis-admin --sentinel-resync" : "in sync"}` +
    (masters ? `; masters: ${masters}` : "");
}

export function render(state) {
  const st = state.stats, s = st.summary;
  const servers = Object.values(st.group.stats);
  const down = servers.filter(x => x.error).length;
  const offline = 1024 - s.assigned_slots;
  const migrating = st.slot_action.actions.length;
  setHtml(document.getElementById("summary"), [
    card("Slots", `${s.assigned_slots} / 1024`, offline ? `${offline} offline` : migrating ? `${migrating} migrating` : "all assigned", "slots"),
    card("Groups", s.groups, st.group.models.filter(g => g.servers.length === 0).length + " without servers", "groups"),
    card("Servers", s.servers, down ? `${down} not answering` : "all answering", "servers"),
    card("Proxies", `${s.online_proxies} / ${s.proxies}`, "online / registered", "proxies"),
    card("Keys", fmtInt(s.keys), "in all databases", "keys"),
    card("Memory", fmtBytes(s.used_memory), "used by the servers", "memory"),
    card("Ops/s", fmtNum(s.qps), "through all proxies", "qps"),
  ].join(""));

  const now = state.at;
  drawChart(document.getElementById("chart-total"), state.total, now);
  const box = document.getElementById("chart-proxies");
  const models = st.proxy.models;
  if (models.length === 0) setHtml(box, `<p class="empty">No proxies registered.</p>`);
  else {
    const want = models.map(m => m.model.token).join(",");
    if (box.dataset.tokens !== want) {
      box.dataset.html = "";
      box.innerHTML = models.map((m, i) => `<figure data-proxy="${esc(m.model.token)}"><figcaption>${esc(m.model.proxy_id || "proxy " + m.model.id)} · ${esc(m.model.proxy_addr)}</figcaption>
        <svg class="chart small" viewBox="0 0 400 140" role="img" aria-label="ops/s of ${esc(m.model.proxy_addr)}"></svg></figure>`).join("");
      box.dataset.tokens = want;
    }
    models.forEach((m, i) => {
      const svg = box.querySelector(`figure[data-proxy="${CSS.escape(m.model.token)}"] svg`);
      const series = state.perProxy.get(m.model.token);
      if (svg && series) drawChart(svg, series, now, { color: groupColor(i + 2) });
    });
  }

  const o = state.overview;
  const facts = [
    ["product", st.product_name],
    ["coordinator", `${st.coordinator.name} ${st.coordinator.addr}`],
    ["dashboard", o ? `${o.model.admin_addr} (pid ${o.model.pid}, started ${o.model.start_time})` : ""],
    ["version", o?.version ?? ""],
    ["migration", `${st.slot_action.method}, ${st.slot_action.status}`],
    ["sentinels", sentinels(st.sentinels)],
    ["failovers", st.failovers.length ? st.failovers.map(f => `group ${f.Group ?? f.group}: ${f.OldMaster ?? f.old_master} → ${f.NewMaster ?? f.new_master}`).join("; ") : "none"],
  ];
  setHtml(document.getElementById("dashboard-info"), facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join(""));
}
