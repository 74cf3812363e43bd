// Migration: queue a range for a target group, watch it (keys/s, ETA), pause / resume / cancel the pending part;
// rebalance shows its plan first and runs only when confirmed.

import { api, routes } from "../api.js";
import { esc, setHtml, fmtInt, fmtDuration, ranges, confirmed, showError, groupColor } from "../ui.js";

let state;
let plan = null; // the last plan shown: {slot: gid}
let runTotal = 0; // the most slots queued at once since the queue was last empty (the progress bar's length)

export function init(s) {
  state = s;
  document.getElementById("migrate").addEventListener("submit", async e => {
    e.preventDefault();
    const f = e.target, beg = Number(f.beg.value), end = Number(f.end.value), gid = Number(f.gid.value);
    if (beg > end) { showError("Migrate:", `the range ${beg}-${end} is empty: "from slot" must not be after "to slot"`); return; }
    const slots = state.stats.slots.filter(x => x.id >= beg && x.id <= end);
    const from = new Map();
    for (const x of slots) if (x.group_id !== gid) from.set(x.group_id, (from.get(x.group_id) ?? 0) + 1);
    const already = slots.length - [...from.values()].reduce((a, b) => a + b, 0);
    const sources = [...from.entries()].map(([g, n]) => g ? `${n} from group ${g}` : `${n} offline`).join(", ");
    const ok = await confirmed(`Migrate slots ${beg}-${end} to group ${gid}`,
      `<p>Queues ${end - beg + 1} slot(s) for group <b>${gid}</b>: ${esc(sources || "none")}${already ? ` (${already} already there)` : ""}.</p>
       <p>Each slot is locked briefly in every proxy, then routed to group ${gid} while its keys move from the source master (clients keep working). The dashboard refuses slots that already have a migration.</p>
       ${state.stats.slot_action.disabled ? "<p><b>Migration is paused</b>: the slots wait until you resume.</p>" : ""}`,
      "Migrate", () => api.put(routes.migrateRange(beg, end, gid)), `slots ${beg}-${end} queued for group ${gid}`);
    if (ok) state.refresh();
  });
  document.getElementById("pause").addEventListener("click", () => confirmed("Pause migration",
    `<p>The executor stops between two migration calls and starts no new slot. Slots in the middle of a move stay locked to their target, and clients keep working. Resume to continue.</p>`,
    "Pause", () => api.put(routes.actionsDisabled(true)), "migration paused").then(ok => ok && state.refresh()));
  document.getElementById("resume").addEventListener("click", async () => {
    try { await api.put(routes.actionsDisabled(false)); state.refresh(); }
    catch (e) { showError("Resume migration failed:", e.message); }
  });
  document.getElementById("cancel").addEventListener("click", () => {
    const acts = state.stats.slot_action.actions;
    const pending = acts.filter(a => a.state === "pending").map(a => a.slot);
    const started = acts.length - pending.length;
    return confirmed("Cancel pending migrations",
      `<p>Removes the ${pending.length} slot(s) still waiting${pending.length ? ` (${esc(ranges(pending))})` : ""}: they stay with their group.</p>` +
      (started ? `<p>${started} slot(s) already started will finish: a started move can't be taken back.</p>` : ""),
      "Cancel pending", () => api.put(routes.removePending), n => `${n} pending slot(s) cancelled`).then(ok => ok && state.refresh());
  });
  document.getElementById("plan").addEventListener("click", async () => {
    try {
      plan = await api.put(routes.rebalance(false));
      renderPlan();
    } catch (e) { showError("Rebalance plan failed:", e.message); }
  });
  document.getElementById("plan-view").addEventListener("click", async e => {
    const b = e.target.closest("button[data-action]");
    if (!b) return;
    if (b.dataset.action === "discard") { plan = null; renderPlan(); return; }
    const n = Object.keys(plan).length;
    const ok = await confirmed("Run the rebalance",
      `<p>Queues the plan's ${n} slot move(s). The dashboard plans again at this moment, so if the topology changed since the plan was shown, what it queues is the new plan.</p>`,
      "Run rebalance", () => api.put(routes.rebalance(true)), r => `rebalance queued ${Object.keys(r).length} slot move(s)`);
    if (ok) { plan = null; renderPlan(); state.refresh(); }
  });
}

function renderPlan() {
  const view = document.getElementById("plan-view");
  if (!plan) { setHtml(view, ""); return; }
  const moves = Object.entries(plan).map(([slot, gid]) => ({ slot: Number(slot), gid }));
  if (moves.length === 0) { setHtml(view, `<p class="plan-empty">The slots are already balanced: the plan moves nothing.</p>`); return; }
  const owner = new Map(state.stats.slots.map(s => [s.id, s.group_id]));
  const byPair = new Map();
  for (const m of moves) {
    const k = `${owner.get(m.slot)}→${m.gid}`;
    if (!byPair.has(k)) byPair.set(k, { from: owner.get(m.slot), to: m.gid, slots: [] });
    byPair.get(k).slots.push(m.slot);
  }
  setHtml(view, `<p class="plan-summary">The plan moves <b>${moves.length}</b> slot(s):</p>
    <table class="grid plan"><thead><tr><th>from</th><th>to</th><th>slots</th><th>which</th></tr></thead><tbody>
    ${[...byPair.values()].map(p => `<tr><td>group ${p.from}</td><td><i class="swatch" style="background:${groupColor(p.to)}"></i>group ${p.to}</td><td class="num">${p.slots.length}</td><td>${esc(ranges(p.slots))}</td></tr>`).join("")}
    </tbody></table>
    <div class="inline buttons"><button data-action="run" class="primary">Run this plan</button> <button data-action="discard">Discard</button></div>`);
}

/** keys/s over the samples of the last 10 s, and the ETA from the rate at which slots finish. */
function rates(s) {
  const m = s.moved, now = m[m.length - 1];
  const old = m.find(x => x.t >= now.t - 10_000) ?? m[0];
  const dt = (now.t - old.t) / 1000;
  const keysPerSec = dt > 0 ? Math.max(0, (now.keys - old.keys) / dt) : 0;
  const slotsPerSec = dt > 0 ? Math.max(0, (old.actions - now.actions) / dt) : 0;
  return { keysPerSec, eta: now.actions === 0 ? 0 : slotsPerSec > 0 ? now.actions / slotsPerSec : Infinity };
}

// the migration latency guard (docs/DASHBOARD.md): its limit, state, latency ratio and the pause it makes
function guardLine(g) {
  if (!g) return "";
  if (g.guard === 0) return `<p class="guard-line">latency guard off: migrations run at full speed</p>`;
  const ratio = g.ratio == null ? "" : ` · client latency ${g.ratio.toFixed(2)}× the baseline`;
  const pause = g.factor > 0 ? ` · pause ${(g.pause_us / 1000).toFixed(1)} ms after each call` : "";
  return `<p class="guard-line">latency guard (limit ${g.guard}×): ${esc(g.state)}${ratio}${pause}</p>`;
}

export function render(s) {
  const st = s.stats, a = st.slot_action;
  const sel = document.querySelector("#migrate select[name=gid]");
  const opts = st.group.models.map(g => g.id).sort((x, y) => x - y).map(id => `<option value="${id}">group ${id}</option>`).join("");
  if (sel.dataset.html !== opts) {
    const keep = sel.value;
    sel.innerHTML = opts;
    sel.dataset.html = opts;
    if ([...sel.options].some(o => o.value === keep)) sel.value = keep;
  }
  const counts = {};
  for (const x of a.actions) counts[x.state] = (counts[x.state] ?? 0) + 1;
  const { keysPerSec, eta } = rates(s);
  const total = a.actions.length;
  runTotal = total === 0 ? 0 : Math.max(runTotal, total);
  const bar = total === 0 ? "" : `<div class="progress"><progress max="${runTotal}" value="${runTotal - total}"></progress>
    <span class="done">${runTotal - total} of ${runTotal} slot(s) done</span></div>`;
  const line = total === 0
    ? `<p class="idle">No migration in progress.${a.disabled ? " <b>Paused</b>: new migrations wait until you resume." : ""}</p>`
    : `<p class="active"><b>${total}</b> slot(s) to go (${Object.entries(counts).map(([k, v]) => `${v} ${esc(k)}`).join(", ")}) ·
        <b>${fmtInt(Math.round(keysPerSec))}</b> keys/s · ETA <b>${a.disabled ? "paused" : fmtDuration(eta)}</b></p>`;
  setHtml(document.getElementById("migration-status"), `${line}${bar}
    <p class="facts-line">executor: <span class="executor">${esc(a.disabled ? "paused" : a.status)}</span> · method ${esc(a.method)} · ${fmtInt(a.moved_keys)} keys moved since the dashboard started</p>${guardLine(a.pacer)}`);
  document.getElementById("pause").disabled = a.disabled;
  document.getElementById("resume").disabled = !a.disabled;
  document.getElementById("cancel").disabled = !a.actions.some(x => x.state === "pending");

  const progress = new Map(a.progress.map(p => [p.slot, p]));
  // the slots being worked on first, then the queue; at most SHOWN rows
  const SHOWN = 24;
  const ordered = [...a.actions].sort((x, y) => (progress.has(y.slot) - progress.has(x.slot)) || (x.index - y.index));
  const rows = ordered.slice(0, SHOWN).map(x => {
    const p = progress.get(x.slot);
    return `<tr data-slot="${x.slot}"><td>${x.slot}</td><td>group ${x.from} → ${x.to}</td><td class="state">${esc(p?.state || x.state)}</td>
      <td class="num">${p ? fmtInt(p.moved) : ""}</td><td class="num">${p ? fmtInt(p.remaining) : ""}</td><td class="num">${p ? fmtInt(p.keys_per_sec) : ""}</td>
      <td>${esc(p?.error ?? "")}</td></tr>`;
  }).join("");
  setHtml(document.getElementById("migration-slots"), rows
    ? `<thead><tr><th>slot</th><th>move</th><th>state</th><th>moved</th><th>left</th><th>keys/s</th><th>error</th></tr></thead><tbody>${rows}</tbody>` +
      (ordered.length > SHOWN ? `<tfoot><tr><td colspan="7">… and ${ordered.length - SHOWN} more queued (${esc(ranges(ordered.slice(SHOWN).map(x => x.slot)))})</td></tr></tfoot>` : "")
    : "");
  if (plan) renderPlan();
}
