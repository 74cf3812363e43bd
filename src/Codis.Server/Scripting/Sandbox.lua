-- codis-server's script sandbox. Run once in each new Lua state with the C# bridge (a table of functions that
-- never raise) as its argument; builds what a script sees, close to Redis 7.0's: its set of globals, all of them
-- read-only, the redis/cjson/bit libraries, Lua 5.1 names over Lua 5.4. Every error a script can get is raised
-- here, in Lua: C# code must not longjmp across managed frames. Returns the host's handles.
local native = ...

local error0, type, tostring0, tonumber, select, next, rawget0, rawset0, rawequal =
      error, type, tostring, tonumber, select, next, rawget, rawset, rawequal
local setmetatable0, getmetatable = setmetatable, getmetatable
local pcall0, load0 = pcall, load
local sethook = debug.sethook
local cocreate, coresume = coroutine.create, coroutine.resume
local mtype, floor, huge = math.type, math.floor, math.huge
local sformat, ssub, sfind, sgsub = string.format, string.sub, string.find, string.gsub

local HOOK_EVERY = 100000  -- instructions between two looks at the time limit and SCRIPT KILL
local READONLY = "Attempt to modify a readonly table"

local function raise(msg) error0({ err = "ERR " .. msg }, 0) end

-- Tables no script may change: the library views and the globals view.
local readonly = setmetatable0({}, { __mode = "k" })

local function deny() error0(READONLY, 2) end

local function protect(t)
  local view = setmetatable0({}, {
    __index = t, __newindex = deny, __metatable = false,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
  })
  readonly[view] = t
  readonly[t] = t
  return view
end

-- The globals a script sees (S) behind a read-only view (env) that is its _ENV and its _G.
local S = setmetatable0({}, { __index = function(_, k)
  error0("Script attempted to access nonexistent global variable '" .. tostring0(k) .. "'", 2)
end })
local env = setmetatable0({}, {
  __index = S, __newindex = deny, __metatable = false,
  __pairs = function() return next, S, nil end,
})
readonly[env] = S

-- Lua 5.1 behaviours and names scripts written for Redis rely on.

-- Floats print as Lua 5.1 printed every number (%.14g): tostring(10/2) is "5", not 5.4's "5.0".
local function tostring(v)
  if mtype(v) == "float" then return sformat("%.14g", v) end
  return tostring0(v)
end

-- Redis 7 gives pcall the text of an error reply rather than its table.
local function fixpcall(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == "table" and type(rawget0(e, "err")) == "string" then return false, rawget0(e, "err") end
  return false, ...
end
local function pcall(f, ...) return fixpcall(pcall0(f, ...)) end

local function rawset(t, k, v)
  if readonly[t] then error0(READONLY, 0) end
  return rawset0(t, k, v)
end

local function rawget(t, k)
  if rawequal(t, env) then return rawget0(S, k) end
  return rawget0(t, k)
end

local function setmetatable(t, mt)
  if readonly[t] then error0(READONLY, 0) end
  -- Finalizers would run at any allocation, inside the C# bridge; Lua 5.1 had none for tables anyway.
  if type(mt) == "table" and rawget0(mt, "__gc") ~= nil then error0("__gc metamethods are not available to scripts", 2) end
  return setmetatable0(t, mt)
end

-- Text only (precompiled chunks can escape any sandbox), and always in the script's environment.
local function load(chunk, name)
  return load0(chunk, name, "t", env)
end

local function loadstring(s, name)
  return load0(s, name or s, "t", env)
end

local function copy(t)
  local c = {}
  for k, v in next, t do c[k] = v end
  return c
end

local tablelib = copy(table)
tablelib.getn = function(t) return #t end
tablelib.maxn = function(t)
  local n = 0
  for k in next, t do if type(k) == "number" and k > n then n = k end end
  return n
end
tablelib.foreach = function(t, f)
  for k, v in next, t do local r = f(k, v) if r ~= nil then return r end end
end
tablelib.foreachi = function(t, f)
  for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end
end

-- math.random as Redis has it: its own 48-bit generator (the same numbers as Redis after the same seed).
local rand_x = 0x1234ABCD330E
local function srand48(seed) rand_x = ((seed & 0xFFFFFFFF) << 16) | 0x330E end
local function lrand48()
  rand_x = (rand_x * 0x5DEECE66D + 0xB) & 0xFFFFFFFFFFFF
  return rand_x >> 17
end

local mathlib = copy(math)
mathlib.random = function(...)
  local r = (lrand48() % 0x7FFFFFFF) / 0x7FFFFFFF
  local n = select("#", ...)
  if n == 0 then return r end
  local m, u = ...
  m = tonumber(m)
  if m == nil then error0("bad argument #1 to 'random' (number expected)", 2) end
  if n == 1 then
    if m < 1 then error0("bad argument #1 to 'random' (interval is empty)", 2) end
    return floor(r * m) + 1
  end
  u = tonumber(u)
  if u == nil then error0("bad argument #2 to 'random' (number expected)", 2) end
  if m > u then error0("bad argument #2 to 'random' (interval is empty)", 2) end
  return floor(r * (u - m + 1)) + m
end
mathlib.randomseed = function(seed) srand48(floor(tonumber(seed) or 0)) end
mathlib.pow = function(x, y) return x ^ y end
mathlib.mod = math.fmod
mathlib.log10 = function(x) return math.log(x, 10) end
mathlib.ldexp = function(m, e) return m * 2.0 ^ e end
mathlib.frexp = function(x)
  if x == 0 or x ~= x or x == huge or x == -huge then return x, 0 end
  local e = floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m, e = m / 2, e + 1 elseif math.abs(m) < 0.5 then m, e = m * 2, e - 1 end
  return m, e
end
mathlib.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
mathlib.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
mathlib.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
mathlib.atan2 = math.atan

local stringlib = copy(string)
stringlib.gfind = string.gmatch

-- The time limit and SCRIPT KILL: a hook every HOOK_EVERY instructions asks the host. Once killed it fires on
-- every instruction, so a pcall in the script cannot swallow the kill.
local check = native.check
local hook
hook = function()
  local stop = check()
  if stop then
    sethook(hook, "", 1)
    error0({ err = stop }, 0)
  end
end

-- Coroutines get the hook too (hooks belong to a thread).
local colib = copy(coroutine)
colib.create = function(f)
  local co = cocreate(f)
  sethook(co, hook, "", HOOK_EVERY)
  return co
end
local function wrapped(ok, ...)
  if ok then return ... end
  error0((...), 0)
end
colib.wrap = function(f)
  local co = colib.create(f)
  return function(...) return wrapped(coresume(co, ...)) end
end

-- bit: LuaBitOp's functions on 32-bit signed integers.
local function tobit(x, i)
  local n = tonumber(x)
  if n == nil then error0(sformat("bad argument #%d to 'bit' (number expected, got %s)", i or 1, type(x)), 3) end
  if mtype(n) ~= "integer" then
    if n ~= n or n == huge or n == -huge then return 0 end
    n = floor(n + 0.5)
    if mtype(n) ~= "integer" then n = floor(math.fmod(n, 4294967296.0)) end
  end
  n = n & 0xFFFFFFFF
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end
local function fold(op)
  return function(a, ...)
    local r = tobit(a, 1)
    for i = 1, select("#", ...) do r = op(r, tobit((select(i, ...)), i + 1)) end
    return tobit(r)
  end
end
local bitlib = {
  tobit = function(x) return tobit(x, 1) end,
  bnot = function(x) return tobit(~tobit(x, 1)) end,
  band = fold(function(a, b) return a & b end),
  bor = fold(function(a, b) return a | b end),
  bxor = fold(function(a, b) return a ~ b end),
  lshift = function(x, n) return tobit(tobit(x, 1) << (tobit(n, 2) & 31)) end,
  rshift = function(x, n) return tobit((tobit(x, 1) & 0xFFFFFFFF) >> (tobit(n, 2) & 31)) end,
  arshift = function(x, n) return tobit(tobit(x, 1) >> (tobit(n, 2) & 31)) end,
  rol = function(x, n)
    local v, s = tobit(x, 1) & 0xFFFFFFFF, tobit(n, 2) & 31
    return tobit((v << s) | (v >> (32 - s)))
  end,
  ror = function(x, n)
    local v, s = tobit(x, 1) & 0xFFFFFFFF, tobit(n, 2) & 31
    return tobit((v >> s) | (v << (32 - s)))
  end,
  bswap = function(x)
    local v = tobit(x, 1) & 0xFFFFFFFF
    return tobit(((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) | (v >> 24))
  end,
  tohex = function(x, n)
    local v = tobit(x, 1) & 0xFFFFFFFF
    n = n == nil and 8 or tobit(n, 2)
    local conv = "x"
    if n < 0 then n, conv = -n, "X" end
    if n > 8 then n = 8 end
    if n == 0 then return "" end
    return sformat("%0" .. n .. conv, v & ((1 << (4 * n)) - 1))
  end,
}

-- cjson: encoding and decoding are C#; each cjson table keeps its own settings.
local json_encode, json_decode, json_null = native.json_encode, native.json_decode, native.json_null
local function newcjson()
  local cfg = { sparse_convert = false, sparse_ratio = 2, sparse_safe = 10, encode_depth = 1000, decode_depth = 1000,
                precision = 14, encode_invalid = false, decode_invalid = true, keep_buffer = true }
  local lib = { _NAME = "cjson", _VERSION = "2.1.0", null = json_null }
  lib.encode = function(...)
    if select("#", ...) ~= 1 then error0("bad argument #1 to 'encode' (expected 1 argument)", 2) end
    local s, e = json_encode((...), cfg.encode_depth, cfg.precision, cfg.sparse_convert, cfg.sparse_ratio,
      cfg.sparse_safe, cfg.encode_invalid)
    if e then error0(e, 2) end
    return s
  end
  lib.decode = function(...)
    if select("#", ...) ~= 1 then error0("bad argument #1 to 'decode' (expected 1 argument)", 2) end
    local s = ...
    if type(s) ~= "string" then error0("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 2) end
    local ok, v = json_decode(s, cfg.decode_depth, cfg.decode_invalid)
    if not ok then error0(v, 2) end
    return v
  end
  local function setting(name, lo, hi)
    return function(v)
      if v ~= nil then
        if type(v) ~= "number" or v < lo or v > hi then
          error0(sformat("bad argument #1 to '%s' (expected integer between %d and %d)", name, lo, hi), 2)
        end
        cfg[name] = floor(v)
      end
      return cfg[name]
    end
  end
  local function switch(name, allowNull)
    return function(v)
      if v ~= nil then
        if v == "on" then v = true elseif v == "off" then v = false end
        if not (type(v) == "boolean" or (allowNull and v == "null")) then
          error0("bad argument #1 (invalid option '" .. tostring0(v) .. "')", 2)
        end
        cfg[name] = v
      end
      return cfg[name]
    end
  end
  lib.encode_max_depth = function(v) return setting("encode_depth", 1, 2147483647)(v) end
  lib.decode_max_depth = function(v) return setting("decode_depth", 1, 2147483647)(v) end
  lib.encode_number_precision = function(v) return setting("precision", 1, 14)(v) end
  lib.encode_invalid_numbers = switch("encode_invalid", true)
  lib.decode_invalid_numbers = switch("decode_invalid", false)
  -- A buffer-reuse switch in the original; output does not depend on it.
  lib.encode_keep_buffer = switch("keep_buffer", false)
  lib.encode_sparse_array = function(convert, ratio, safe)
    if convert ~= nil then switch("sparse_convert", false)(convert) end
    if ratio ~= nil then cfg.sparse_ratio = setting("sparse_ratio", 0, 2147483647)(ratio) end
    if safe ~= nil then cfg.sparse_safe = setting("sparse_safe", 0, 2147483647)(safe) end
    return cfg.sparse_convert, cfg.sparse_ratio, cfg.sparse_safe
  end
  return lib
end
local cjsonlib = newcjson()
cjsonlib.new = function() return protect(newcjson()) end

-- struct and cmsgpack are not built in: say so clearly when a script uses them.
local function missing(name)
  return setmetatable0({}, { __newindex = deny, __metatable = false, __index = function(_, k)
    return function() raise(name .. "." .. tostring0(k) .. " is not supported by codis-server") end
  end })
end

-- The redis library.
local call, set_repl, set_resp, known = native.call, native.set_repl, native.set_resp, native.known
local redislib = {
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = native.version, REDIS_VERSION_NUM = native.version_num,
}
redislib.call = function(...)
  local r, failed = call(...)
  if failed then error0(r, 0) end
  return r
end
redislib.pcall = function(...) return (call(...)) end

-- An error reply table from "-CODE message" or "message" (then the code is ERR), as Redis builds them.
local function errortable(s)
  local code, msg = "ERR", s
  if ssub(s, 1, 1) == "-" then
    local sp = sfind(s, " ", 1, true)
    if sp then code, msg = ssub(s, 2, sp - 1), ssub(s, sp + 1) else msg = ssub(s, 2) end
  end
  msg = sgsub(sgsub(msg, "^[\r\n]+", ""), "[\r\n]+$", "")
  return { err = code .. " " .. msg }
end
redislib.error_reply = function(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then return { err = "ERR wrong number or type of arguments" } end
  if ssub(s, 1, 1) ~= "-" then s = "-" .. s end
  return errortable(s)
end
redislib.status_reply = function(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then return { err = "ERR wrong number or type of arguments" } end
  return { ok = s }
end
redislib.sha1hex = function(...)
  if select("#", ...) ~= 1 then raise("wrong number of arguments") end
  return native.sha1hex((...))
end
redislib.log = function(...)
  local n = select("#", ...)
  if n < 2 then raise("redis.log() requires two arguments or more.") end
  local level = ...
  if mtype(level) ~= "integer" and not (type(level) == "number" and level == floor(level)) then raise("Invalid debug level.") end
  if level < 0 or level > 3 then raise("Invalid debug level.") end
  local parts = {}
  for i = 2, n do
    local v = select(i, ...)
    if type(v) == "string" or type(v) == "number" then parts[#parts + 1] = tostring0(v) end
  end
  native.log(floor(level), table.concat(parts, " "))
end
redislib.setresp = function(...)
  if select("#", ...) ~= 1 then raise("redis.setresp() requires one argument.") end
  local v = ...
  if v ~= 2 and v ~= 3 then raise("RESP version must be 2 or 3.") end
  set_resp(v)
end
redislib.set_repl = function(...)
  if select("#", ...) ~= 1 then raise("redis.set_repl() requires one argument.") end
  local v = ...
  if mtype(v) == "float" and v == floor(v) then v = floor(v) end
  if mtype(v) ~= "integer" or v < 0 or v > 3 then
    raise("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
  end
  set_repl(v)
end
-- Effects replication is the only mode (as in Redis 7): nothing to switch on.
redislib.replicate_commands = function() return true end
-- There is no script debugger: no breakpoint ever stops, redis.debug has no console to print to.
redislib.breakpoint = function() return false end
redislib.debug = function() end
redislib.acl_check_cmd = function(name, ...)
  if type(name) ~= "string" or not known(name) then raise("Invalid command passed to redis.acl_check_cmd()") end
  return true
end

-- The globals, Redis 7.0's set (5.4 extras that do no harm stay: rawlen, utf8).
for k, v in next, {
  _G = env, _VERSION = _VERSION, assert = assert, collectgarbage = collectgarbage, error = error0,
  gcinfo = function() return floor(collectgarbage("count")) end,
  getmetatable = getmetatable, ipairs = ipairs, load = load, loadstring = loadstring, next = next, pairs = pairs,
  pcall = pcall, rawequal = rawequal, rawget = rawget, rawlen = rawlen, rawset = rawset, select = select,
  setmetatable = setmetatable, tonumber = tonumber, tostring = tostring, type = type, unpack = table.unpack,
  xpcall = xpcall,
  string = protect(stringlib), table = protect(tablelib), math = protect(mathlib), coroutine = protect(colib),
  utf8 = protect(copy(utf8)), bit = protect(bitlib), cjson = protect(cjsonlib), redis = protect(redislib),
  struct = missing("struct"), cmsgpack = missing("cmsgpack"),
} do rawset0(S, k, v) end
readonly[S.struct] = true
readonly[S.cmsgpack] = true

-- Functions (FUNCTION LOAD). A library's code runs once, when it is loaded, seeing nothing but
-- redis.register_function, redis.log, the LOG_* levels and the version (Redis 7.0's load-time set); the functions it
-- registers run later with the globals above, without KEYS and ARGV (they get keys and arguments as parameters).
local function nonexistent(_, k)
  error0("Script attempted to access nonexistent global variable '" .. tostring0(k) .. "'", 2)
end
local FLAGS = { ["no-writes"] = 1, ["allow-oom"] = 2, ["allow-stale"] = 4, ["no-cluster"] = 8, ["allow-cross-slot-keys"] = 16 }
local NAME_ERROR = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
local registered  -- the functions of the library being loaded (nil outside a load)

local function flagbits(flags)
  if type(flags) ~= "table" then raise("flags argument to redis.register_function must be a table representing function flags") end
  local bits = 0
  for _, f in next, flags do
    local b = type(f) == "string" and FLAGS[f]
    if not b then raise("unknown flag given") end
    bits = bits | b
  end
  return bits
end

local function register(...)
  if registered == nil then raise("redis.register_function can only be called on FUNCTION LOAD command") end
  local n = select("#", ...)
  local name, callback, flags, description
  if n == 1 then
    local args = ...
    if type(args) ~= "table" then
      raise("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
    end
    for k, v in next, args do
      if k == "function_name" then
        if type(v) ~= "string" and type(v) ~= "number" then raise("function_name argument given to redis.register_function must be a string") end
        name = tostring0(v)
      elseif k == "callback" then
        if type(v) ~= "function" then raise("callback argument given to redis.register_function must be a function") end
        callback = v
      elseif k == "flags" then
        flags = flagbits(v)
      elseif k == "description" then
        if type(v) ~= "string" and type(v) ~= "number" then raise("description argument given to redis.register_function must be a string") end
        description = tostring0(v)
      else
        raise("unknown argument given to redis.register_function")
      end
    end
    if name == nil then raise("redis.register_function must get a function name argument") end
    if callback == nil then raise("redis.register_function must get a callback argument") end
  elseif n == 2 then
    name, callback = ...
    if type(name) ~= "string" and type(name) ~= "number" then raise("first argument to redis.register_function must be a string") end
    if type(callback) ~= "function" then raise("second argument to redis.register_function must be a function") end
    name = tostring0(name)
  else
    raise("wrong number of arguments to redis.register_function")
  end
  if not sfind(name, "^[%w_]+$") then raise(NAME_ERROR) end
  for _, f in next, registered do
    if f.name == name then raise("Function already exists in the library") end
  end
  registered[#registered + 1] = { name = name, callback = callback, flags = flags or 0, description = description }
end

local loadredis = setmetatable0({
  register_function = register, log = redislib.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = native.version, REDIS_VERSION_NUM = native.version_num,
}, { __index = nonexistent })
local loadglobals = setmetatable0({ redis = protect(loadredis) }, { __index = nonexistent })

-- A library's environment: the load-time globals while its code runs, the run-time ones after.
local libmeta = { __index = S, __newindex = deny, __metatable = false, __pairs = function() return next, S, nil end }
local libenv = setmetatable0({}, libmeta)
readonly[libenv] = S

-- Compiles and runs a library's code: its functions ({name, callback, flags, description}...), or nil, the
-- message and whether it failed to compile.
local function library(body)
  local chunk, e = load0(body, "@user_function", "t", libenv)
  if not chunk then return nil, e, true end
  registered = {}
  libmeta.__index = loadglobals
  local ok, err = pcall0(chunk)
  libmeta.__index = S
  local functions = registered
  registered = nil
  if ok then return functions end
  if type(err) == "table" and type(rawget0(err, "err")) == "string" then return nil, rawget0(err, "err"), false end
  return nil, "ERR " .. tostring0(err), false
end

-- Strings' methods come from the real string table: keep scripts from reaching it through the metatable.
getmetatable("").__metatable = false

return {
  globals = S,
  -- Compiles a script body into a function running in the sandbox, or nil and the message.
  compile = function(body) return load0(body, "@user_script", "t", env) end,
  library = library,
  -- Before each run: the hook on.
  arm = function()
    sethook(hook, "", HOOK_EVERY)
  end,
}
