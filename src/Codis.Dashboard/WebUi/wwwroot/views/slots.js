// Slot map: 1024 cells coloured by the owning group; migrating slots are striped in the target's colour and
// outlined, with their progress in the cell's title and in the legend.

import { esc, setHtml, groupColor, ranges, fmtInt } from "../ui.js";

let cells = [];

export function init() {
  const map = document.getElementById("slot-map");
  const frag = document.createDocumentFragment();
  for (let i = 0; i < 1024; i++) {
    if (i % 64 === 0) { // a row label: the row's first slot
      const l = document.createElement("div");
      l.className = "row-label";
      l.textContent = i;
      frag.append(l);
    }
    const c = document.createElement("div");
    c.className = "slot";
    c.dataset.slot = i;
    frag.append(c);
  }
  map.append(frag);
  cells = [...map.querySelectorAll(".slot")];
}

export function render(state) {
  const st = state.stats;
  const progress = new Map(st.slot_action.progress.map(p => [p.slot, p]));
  const byGroup = new Map();
  let migrating = 0;
  for (const s of st.slots) {
    const c = cells[s.id];
    const gid = s.group_id || 0;
    byGroup.set(gid, (byGroup.get(gid) ?? 0) + 1);
    const a = s.action ?? {};
    const moving = !!a.state;
    if (moving) migrating++;
    if (c.dataset.group !== String(gid)) {
      c.dataset.group = gid;
      c.style.setProperty("--color", groupColor(gid));
    }
    const p = moving ? progress.get(s.id) : null;
    const title = moving
      ? `slot ${s.id}: group ${gid} → ${a.target_id}, ${a.state}` + (p ? `, ${fmtInt(p.moved)} keys moved, ${fmtInt(p.remaining)} left` : "")
      : `slot ${s.id}: ${gid ? "group " + gid : "offline"}`;
    if (c.title !== title) c.title = title;
    c.classList.toggle("migrating", moving);
    if (moving) {
      c.dataset.state = a.state;
      c.style.setProperty("--target", groupColor(a.target_id));
    } else delete c.dataset.state;
  }
  const items = [...byGroup.entries()].sort((a, b) => a[0] - b[0]).map(([gid, n]) => {
    const ids = st.slots.filter(s => (s.group_id || 0) === gid).map(s => s.id);
    return `<span class="legend-item" data-group="${gid}"><i style="background:${groupColor(gid)}"></i>${gid ? `group ${gid}` : "offline"}: <b>${n}</b> slots <small>(${esc(ranges(ids))})</small></span>`;
  });
  if (migrating) {
    const batch = st.slot_action.progress;
    const moved = batch.reduce((n, p) => n + p.moved, 0);
    items.push(`<span class="legend-item migrating-legend"><i class="striped"></i>migrating: <b>${migrating}</b> slots to go` +
      (batch.length ? ` · ${batch.length} in the current batch, ${fmtInt(moved)} keys moved` : "") + `</span>`);
  }
  setHtml(document.getElementById("slot-legend"), items.join(""));
}
