-- What the Lua specs share: the process, its memory, and probes that see
-- whether an object is still alive. Written for every Lua from 5.1 to 5.4.
local helpers = {}

-- Under valgrind freed memory is held back, so size checks say nothing;
-- the leak check stands in for them there.
helpers.under_valgrind = os.getenv("PARK_UNDER_VALGRIND") == "1"

-- This process's id (the first field of /proc/self/stat).
function helpers.pid()
  local f = assert(io.open("/proc/self/stat"))
  local pid = f:read("*n")
  f:close()
  return pid
end

function helpers.resident_kib()
  local f = assert(io.open("/proc/self/statm"))
  local _ = f:read("*n")
  local pages = f:read("*n")
  f:close()
  return pages * 4
end

-- Sends a signal to this process, as another process would.
function helpers.kill(signal)
  assert(os.execute(("kill -%s %d"):format(signal, helpers.pid())))
end

-- Runs fn(...) on a coroutine and returns its results. What fn made and
-- did not return is then unreachable: no stale slot of the caller's stack
-- (which the collectors of 5.1 and LuaJIT scan whole) still holds it.
function helpers.fresh(fn, ...)
  local co = coroutine.create(fn)
  local results = {coroutine.resume(co, ...)}
  assert(results[1], results[2])
  return (unpack or table.unpack)(results, 2, 3)
end

function helpers.collect()
  -- Finalized userdata is freed one cycle later.
  collectgarbage()
  collectgarbage()
end

-- A probe: probe.new() gives a fresh object to capture in a closure,
-- probe.track(object) watches one; probe.alive() says whether any of them
-- is still reachable.
function helpers.probe()
  local seen = setmetatable({}, {__mode = "k"})
  local probe = {}
  function probe.track(object)
    seen[object] = true
    return object
  end
  function probe.new()
    return probe.track({})
  end
  function probe.alive()
    helpers.collect()
    return next(seen) ~= nil
  end
  return probe
end

-- A connected pair of TCP sockets over loopback (luasocket objects, which
-- have :getfd()).
function helpers.socket_pair()
  local ok, socket = pcall(require, "socket")
  assert(ok, "these tests need luasocket (apt-get install lua-socket)")
  local server = assert(socket.bind("127.0.0.1", 0))
  local host, port = server:getsockname()
  local client = assert(socket.connect(host, port))
  local accepted = assert(server:accept())
  server:close()
  return client, accepted
end

-- Parks p until fn() is true; fails after `limit` seconds.
function helpers.park_until(park, p, fn, limit)
  local deadline = park.monotonic() + (limit or 10)
  while not fn() do
    assert(park.monotonic() < deadline, "timed out waiting")
    p:park(0.1)
  end
end

return helpers
