// Groups and their servers (what the dashboard recorded, plus what each server's INFO says), with the actions
// add group, add server, promote, reads on/off, sync, remove server, remove group; each asks first, saying what
// will happen.

import { api, routes } from "../api.js";
import { esc, setHtml, fmtBytes, fmtInt, groupColor, ranges, confirmed } from "../ui.js";

let state;

export function init(s) {
  state = s;
  document.getElementById("add-group").addEventListener("submit", async e => {
    e.preventDefault();
    const gid = Number(e.target.gid.value || e.target.gid.placeholder);
    const ok = await confirmed(`Add group ${gid}`,
      `<p>Creates group <b>${gid}</b> with no servers. It owns no slots until slots are migrated to it (or rebalanced).</p>
       <p>Next: add a master to it with <i>Add server</i>.</p>`, "Add group",
      () => api.put(routes.groupCreate(gid)), `group ${gid} created`);
    if (ok) { e.target.reset(); state.refresh(); }
  });
  document.getElementById("add-server").addEventListener("submit", async e => {
    e.preventDefault();
    const f = e.target, gid = Number(f.gid.value), addr = f.addr.value.trim(), role = f.role.value;
    const g = state.stats?.group.models.find(x => x.id === gid);
    const master = g?.servers[0]?.server;
    const asMaster = role === "master" || (role === "" && !master);
    const what = asMaster
      ? `<p><b>${esc(addr)}</b> becomes the master of group ${gid}${master ? "" : " (the group has no servers yet)"}. If it replicates another server now, it stops (REPLICAOF NO ONE); its data stays.</p>`
      : `<p><b>${esc(addr)}</b> is told to replicate ${esc(master ?? "the group's master")} (REPLICAOF): <b>its own data is replaced</b> by a full copy of the master's. Then it is recorded as a replica of group ${gid}.</p>`;
    const ok = await confirmed(`Add ${addr} to group ${gid}`, what + `<p>The dashboard first checks that it answers PING.</p>`, "Add server",
      () => api.put(routes.groupAdd(gid, addr, role)), `${addr} added to group ${gid}`);
    if (ok) { f.addr.value = ""; state.refresh(); }
  });
  document.getElementById("groups").addEventListener("click", async e => {
    const b = e.target.closest("button[data-action]");
    if (!b) return;
    const gid = Number(b.dataset.gid), addr = b.dataset.addr;
    const g = state.stats.group.models.find(x => x.id === gid);
    const master = g?.servers[0]?.server;
    const owned = state.stats.slots.filter(s => s.group_id === gid).length;
    let ok = false;
    if (b.dataset.action === "promote") {
      const others = g.servers.map(s => s.server).filter(s => s !== addr);
      ok = await confirmed(`Promote ${addr}`,
        `<p><b>${esc(addr)}</b> becomes the master of group ${gid}:</p>
         <ol><li>the group's ${owned} slots are locked in every proxy (clients wait; nothing is lost),</li>
         <li>${esc(master)} pauses its writes and ${esc(addr)} catches up with it (if it does not in time, nothing changes and the promote is refused),</li>
         <li>${esc(addr)} gets REPLICAOF NO ONE and the slots are unlocked with it as master,</li>
         <li>${others.map(esc).join(", ")} ${others.length === 1 ? "is" : "are"} repointed to replicate it (the old master ${esc(master)} becomes a replica).</li></ol>
         <p>Every write the old master acknowledged is kept.</p>`, "Promote",
        () => api.put(routes.promote(gid, addr)), `${addr} is now the master of group ${gid}`);
    } else if (b.dataset.action === "reads") {
      const on = b.dataset.on !== "1";
      ok = await confirmed(`${on ? "Serve" : "Stop serving"} reads from ${addr}`,
        on ? `<p>The proxies send reads of group ${gid}'s slots to <b>${esc(addr)}</b> (and to the group's other flagged servers, nearest first: same host and datacenter, then same datacenter). Writes still go to the master.</p>
              <p>A client reads its own writes (the proxy keeps its reads on the master until the replica has them); other clients' writes show up with the replica's lag. Proxies with <code>backend_primary_only = true</code> ignore this.</p>`
           : `<p>The proxies stop sending reads to <b>${esc(addr)}</b>.</p>`,
        on ? "Serve reads" : "Stop", () => api.put(routes.replicaGroup(gid, addr, on)), `${addr} ${on ? "serves" : "no longer serves"} reads`);
    } else if (b.dataset.action === "sync") {
      const isMaster = addr === master;
      ok = await confirmed(`Sync ${addr}`,
        isMaster ? `<p><b>${esc(addr)}</b> is the master of group ${gid}: it is told to stop replicating anything (REPLICAOF NO ONE).</p>`
                 : `<p><b>${esc(addr)}</b> is told to replicate ${esc(master)} again (REPLICAOF). If it followed another server or none, <b>its data is replaced</b> by a full copy of the master's.</p>`,
        "Sync", () => api.put(routes.syncAction(addr)), `${addr} synced`);
    } else if (b.dataset.action === "remove-server") {
      const isMaster = addr === master;
      ok = await confirmed(`Remove ${addr} from group ${gid}`,
        `<p>${esc(addr)} is taken out of group ${gid}${isMaster ? " — it is the group's <b>master</b>" : ""}. The server process is not stopped and keeps its data; the dashboard stops watching it.</p>` +
        (isMaster && g.servers.length > 1 ? `<p>The dashboard refuses this while the group has replicas: promote one first.</p>` : "") +
        (isMaster && owned > 0 ? `<p>The group owns ${owned} slots: without a master they can't be served.</p>` : ""), "Remove server",
        () => api.put(routes.groupDel(gid, addr)), `${addr} removed from group ${gid}`);
    } else if (b.dataset.action === "remove-group") {
      ok = await confirmed(`Remove group ${gid}`,
        `<p>Deletes group ${gid} from the topology.` + (g.servers.length ? ` Its ${g.servers.length} server(s) stay running but are no longer part of the product.` : "") + `</p>` +
        (owned ? `<p>The dashboard refuses this: the group still owns ${owned} slots (${esc(ranges(state.stats.slots.filter(s => s.group_id === gid).map(s => s.id)))}). Migrate them away first.</p>` : ""),
        "Remove group", () => api.put(routes.groupRemove(gid)), `group ${gid} removed`);
    }
    if (ok) state.refresh();
  });
}

function serverRow(st, g, s, i) {
  const h = st.group.stats[s.server];
  const info = h?.stats ?? {};
  const master = g.servers[0].server;
  const mh = st.group.stats[master]?.stats ?? {};
  const expected = i === 0 ? "master" : "replica";
  const actual = info.role === "slave" ? "replica" : info.role;
  let link = "—", offset = "", lag = "";
  if (h?.error) link = `down: ${h.error}`;
  else if (i > 0) {
    link = info.master_link_status ?? "unknown";
    offset = info.slave_repl_offset ?? "";
    if (mh.master_repl_offset !== undefined && offset !== "") lag = `${fmtInt(Math.max(0, Number(mh.master_repl_offset) - Number(offset)))} B`;
  } else offset = info.master_repl_offset ?? "";
  const roleNote = actual && actual !== expected ? ` <span class="warn" title="INFO says ${esc(info.role)}">(INFO: ${esc(actual)})</span>` : "";
  return `<tr data-server="${esc(s.server)}" class="${h?.error ? "down" : ""}">
    <td>${esc(s.server)}${s.datacenter ? ` <small>${esc(s.datacenter)}</small>` : ""}</td>
    <td class="role">${expected}${roleNote}</td>
    <td class="link">${esc(link)}</td>
    <td class="num">${esc(offset === "" ? "" : fmtInt(offset))}</td>
    <td class="num">${esc(lag)}</td>
    <td class="num memory">${memory(h, info)}</td>
    <td class="num keys">${h ? fmtInt(h.keys) : ""}</td>
    <td class="num">${esc(info.instantaneous_ops_per_sec ?? "")}</td>
    <td class="actions">${i > 0 ? `<button data-action="promote" data-gid="${g.id}" data-addr="${esc(s.server)}">Promote</button>` : ""}
      <button data-action="reads" data-on="${s.replica_group ? 1 : 0}" data-gid="${g.id}" data-addr="${esc(s.server)}" title="${s.replica_group ? "serves the proxies' reads" : "serves no reads"}">${s.replica_group ? "Reads: on" : "Reads: off"}</button>
      <button data-action="sync" data-gid="${g.id}" data-addr="${esc(s.server)}" title="${esc(syncTitle(s))}">Sync</button>
      <button data-action="remove-server" data-gid="${g.id}" data-addr="${esc(s.server)}">Remove</button></td>
  </tr>`;
}

// the server's last sync action, as the dashboard recorded it
function syncTitle(s) {
  const a = s.action?.state;
  return a ? `last sync action #${s.action.index}: ${a}` : "make it follow its group's master again (REPLICAOF)";
}

// used_memory, and with a maxmemory "/ limit" and the policy, as the original dashboard shows it; warned from 90 %
function memory(h, info) {
  if (!h?.used_memory) return "";
  const used = Number(h.used_memory), max = Number(info.maxmemory ?? 0);
  if (!max) return esc(fmtBytes(used));
  const full = used >= 0.9 * max;
  const title = `maxmemory-policy ${info.maxmemory_policy ?? "?"}, evicted_keys ${info.evicted_keys ?? 0}`;
  return `<span class="${full ? "warn" : ""}" title="${esc(title)}">${esc(fmtBytes(used))} / ${esc(fmtBytes(max))}</span>`;
}

export function render(s) {
  const st = s.stats;
  const models = [...st.group.models].sort((a, b) => a.id - b.id);
  const sel = document.querySelector("#add-server select[name=gid]");
  const opts = models.map(g => `<option value="${g.id}">group ${g.id}</option>`).join("");
  if (sel.dataset.html !== opts) {
    const keep = sel.value;
    sel.innerHTML = opts;
    sel.dataset.html = opts;
    if (models.some(g => String(g.id) === keep)) sel.value = keep;
  }
  const gidInput = document.querySelector("#add-group input[name=gid]");
  if (!gidInput.value && document.activeElement !== gidInput) gidInput.placeholder = String(Math.max(0, ...models.map(g => g.id)) + 1);

  const html = models.map(g => {
    const owned = st.slots.filter(x => x.group_id === g.id).map(x => x.id);
    const promoting = g.promoting?.state ? ` <span class="warn">promoting ${esc(g.promoting.index ?? "")}: ${esc(g.promoting.state)}</span>` : "";
    return `<div class="panel group" data-group="${g.id}">
      <h2><i class="swatch" style="background:${groupColor(g.id)}"></i>Group ${g.id}
        <small>${owned.length} slots${owned.length ? ` (${esc(ranges(owned))})` : ""}${g.out_of_sync ? " · out of sync" : ""}</small>${promoting}
        <button class="right" data-action="remove-group" data-gid="${g.id}">Remove group</button></h2>
      ${g.servers.length === 0 ? `<p class="empty">No servers: add a master to this group.</p>` : `<table class="grid">
        <thead><tr><th>server</th><th>role</th><th>link</th><th>repl offset</th><th>lag</th><th>memory</th><th>keys</th><th>ops/s</th><th></th></tr></thead>
        <tbody>${g.servers.map((x, i) => serverRow(st, g, x, i)).join("")}</tbody></table>`}
    </div>`;
  }).join("");
  setHtml(document.getElementById("groups"), html || `<p class="empty panel">No groups yet: add one above.</p>`);
}
