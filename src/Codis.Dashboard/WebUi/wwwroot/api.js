// Calls to the dashboard's JSON API (docs/DASHBOARD.md). Failures become ApiError with a sentence a person can
// read: the dashboard's own {"Cause": ...} (HTTP 800), or what went wrong on the way.

export class ApiError extends Error {
  constructor(message, cause) {
    super(message);
    this.cause = cause; // the dashboard's Cause text, when it gave one
  }
}

const TOKEN_KEY = "codis-admin-token";

export const api = {
  xauth: "",

  get token() { return sessionStorage.getItem(TOKEN_KEY) || ""; },
  set token(v) { v ? sessionStorage.setItem(TOKEN_KEY, v) : sessionStorage.removeItem(TOKEN_KEY); },

  /** GET a read route; {x} in the path is replaced by the product's xauth. */
  get(path) { return call("GET", path); },

  /** PUT a mutation route (always carries the xauth). */
  put(path) { return call("PUT", path); },
};

const enc = encodeURIComponent;
export const routes = {
  products: "/api/topom/products",
  overview: "/topom",
  stats: "/api/topom/stats/{x}",
  opsHistory: "/api/topom/ops-history/{x}",
  groupCreate: gid => `/api/topom/group/create/{x}/${gid}`,
  groupRemove: gid => `/api/topom/group/remove/{x}/${gid}`,
  groupAdd: (gid, addr, role) => `/api/topom/group/add/{x}/${gid}/${enc(addr)}?role=${enc(role)}`,
  groupDel: (gid, addr) => `/api/topom/group/del/{x}/${gid}/${enc(addr)}`,
  promote: (gid, addr) => `/api/topom/group/promote/{x}/${gid}/${enc(addr)}`,
  replicaGroup: (gid, addr, on) => `/api/topom/group/replica-groups/{x}/${gid}/${enc(addr)}/${on ? 1 : 0}`,
  syncAction: addr => `/api/topom/group/action/create/{x}/${enc(addr)}`,
  proxyOnline: addr => `/api/topom/proxy/online/{x}/${enc(addr)}`,
  proxyOnlineId: id => `/api/topom/proxy/online-id/{x}/${enc(id)}`,
  proxyOffline: token => `/api/topom/proxy/offline-id/{x}/${enc(token)}`,
  proxyRemove: (token, force) => `/api/topom/proxy/remove/{x}/${enc(token)}/${force ? 1 : 0}`,
  migrateRange: (beg, end, gid) => `/api/topom/slots/action/create-range/{x}/${beg}/${end}/${gid}`,
  actionsDisabled: on => `/api/topom/slots/action/disabled/{x}/${on ? 1 : 0}`,
  removePending: "/api/topom/slots/action/remove-pending/{x}",
  rebalance: confirm => `/api/topom/slots/rebalance/{x}/${confirm ? 1 : 0}`,
};

async function call(method, path) {
  const url = path.replace("{x}", api.xauth);
  const headers = { Accept: "application/json" };
  if (api.token) headers["X-Codis-Admin-Token"] = api.token;
  let resp;
  try {
    resp = await fetch(url, { method, headers, cache: "no-store" });
  } catch (e) {
    throw new ApiError(`the dashboard at ${location.host} does not answer (${e.message}); is codis-dashboard running?`);
  }
  const text = await resp.text();
  let body = null;
  try { body = text.length ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (resp.status === 200) {
    if (body === null && text.length) throw new ApiError(`the dashboard sent something that is not JSON for ${method} ${path}`);
    return body;
  }
  if (body && typeof body.Cause === "string") throw new ApiError(body.Cause, body.Cause);
  throw new ApiError(`the dashboard answered HTTP ${resp.status} to ${method} ${path}${text ? ": " + text.slice(0, 200) : ""}`);
}
