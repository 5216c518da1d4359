-- require "park": timers, fd readiness and signals on a Driver, served by
-- the park that runs its loop; their callbacks, lifetimes and bad input.
local park = require "park"
local helpers = require "helpers"

local function new_pair()
  local d = park.Driver()
  return d, park.Parker(d)
end

describe("driver:timer", function()
  it("runs once after its delay, inside the park, never early", function()
    local d, p = new_pair()
    local start = park.monotonic()
    local ran = {}
    local h = d:timer(0.03, function() ran[#ran + 1] = park.monotonic() end)
    assert.is_true(h:is_active())
    local reason, in_driver
    repeat reason, in_driver = p:park() until #ran > 0
    assert.equals("events", reason)
    assert.is_true(in_driver)
    assert.is_true(ran[1] - start >= 0.03, "ran early")
    assert.is_false(h:is_active())
    assert.equals("timeout", (p:park(0.05)))
    assert.equals(1, #ran)
  end)

  it("repeats every period until cancelled", function()
    local d, p = new_pair()
    local start, ran = park.monotonic(), {}
    d:timer(0.01, 0.02, function(h)
      ran[#ran + 1] = park.monotonic() - start
      if #ran == 3 then assert.is_true(h:cancel()) end
    end)
    helpers.park_until(park, p, function() return #ran == 3 end)
    assert.equals("timeout", (p:park(0.05)))
    assert.equals(3, #ran)
    for i = 1, 3 do
      assert.is_true(ran[i] >= 0.01 + 0.02 * (i - 1), "run " .. i .. " early")
    end
  end)

  it("runs at the next park with a zero delay", function()
    local d, p = new_pair()
    local ran = false
    d:timer(0, function() ran = true end)
    local reason, in_driver = p:park(5)
    assert.is_true(ran)
    assert.equals("events", reason)
    assert.is_true(in_driver)
  end)

  it("passes the callback its handle", function()
    local d, p = new_pair()
    local got
    local h = d:timer(0, function(...) got = {...} end)
    p:park(5)
    assert.equals(1, #got)
    assert.equals(h, got[1])
    assert.matches("^park.Handle %(timer, inactive%)", tostring(h))
  end)

  it("runs the callback on the coroutine that parks", function()
    local d, p = new_pair()
    local ran_on
    d:timer(0, function() ran_on = coroutine.running() end)
    local co = coroutine.create(function() return p:park(5) end)
    local ok, reason = coroutine.resume(co)
    assert.is_true(ok)
    assert.equals("events", reason)
    assert.equals(co, ran_on)
  end)
end)

describe("a callback", function()
  it("can cancel itself, and cancelling again says false", function()
    local d, p = new_pair()
    local runs = 0
    local h = d:timer(0, 0.001, function(self)
      runs = runs + 1
      assert.is_true(self:cancel())
      assert.is_false(self:cancel())
    end)
    p:park(5)
    assert.equals("timeout", (p:park(0.05)))
    assert.equals(1, runs)
    assert.is_false(h:is_active())
  end)

  it("can cancel another callback that is due in the same park", function()
    local d, p = new_pair()
    local ran = {}
    local a, b
    a = d:timer(0, function() ran[#ran + 1] = "a"; b:cancel() end)
    b = d:timer(0, function() ran[#ran + 1] = "b"; a:cancel() end)
    p:park(5)
    assert.equals("timeout", (p:park(0.05)))
    assert.equals(1, #ran)
  end)

  it("can register a new event, which runs at a later park", function()
    local d, p = new_pair()
    local ran = {}
    d:timer(0, function()
      ran[#ran + 1] = "first"
      d:timer(0, function() ran[#ran + 1] = "second" end)
    end)
    p:park(5)
    assert.same({"first"}, ran)
    assert.equals("events", (p:park(5)))
    assert.same({"first", "second"}, ran)
  end)

  it("can unpark its own parker: the next park takes the token", function()
    local d, p = new_pair()
    local u = p:unparker()
    d:timer(0, function() assert.is_true(u:unpark()) end)
    assert.equals("events", (p:park(5)))
    local reason, in_driver = p:park(5)
    assert.equals("token", reason)
    assert.is_false(in_driver)
  end)

  it("gets EDEADLK when it parks on its own driver, not on another", function()
    local d, p = new_pair()
    local clone = p:clone()
    local results = {}
    d:timer(0, function()
      results.own = {p:park(0)}
      results.clone = {clone:park(1)}
      results.other = {park.Parker():park(0)}
    end)
    p:park(5)
    local message = "park: cannot park inside a callback of this parker's driver"
    assert.same({nil, message, "EDEADLK"}, results.own)
    assert.same({nil, message, "EDEADLK"}, results.clone)
    assert.same({"timeout", true}, results.other)
  end)

  it("raises its error from the park; the others run at the next", function()
    local d, p = new_pair()
    local runs = 0
    for _ = 1, 2 do
      d:timer(0, function() runs = runs + 1; error("boom " .. runs, 0) end)
    end
    local ok, err = pcall(p.park, p, 5)
    assert.is_false(ok)
    assert.equals("boom 1", err)
    local start = park.monotonic()
    ok, err = pcall(p.park, p, 5)
    assert.is_false(ok)
    assert.equals("boom 2", err)
    assert.is_true(park.monotonic() - start < 2.5, "the second park waited")
    assert.equals("timeout", (p:park(0.05)))
    assert.equals(2, runs)
  end)

  it("leaves the token of a park that raises for the next park", function()
    local d, p = new_pair()
    local u = p:unparker()
    d:timer(0, function() error("boom 1", 0) end)
    d:timer(0, function() error("boom 2", 0) end)
    assert.same({false, "boom 1"}, {pcall(p.park, p, 5)})
    -- This park takes the token, then runs the callback left queued.
    u:unpark()
    assert.same({false, "boom 2"}, {pcall(p.park, p, 5)})
    assert.same({"token", false}, {p:park(5)})
    p:park(0.01) -- runs the loop the raise left to run
    assert.equals("timeout", (p:park(0.01)))
  end)

  it("can close its own Driver", function()
    local d, p = new_pair()
    local other_ran = false
    d:timer(0, function() d:close() end)
    d:timer(0, function() d:close() end)
    d:timer(0.01, function() other_ran = true end)
    assert.equals("events", (p:park(5)))
    assert.equals("timeout", (p:park(0.05)))
    assert.is_false(other_ran)
  end)
end)

-- Each test registers from a function run by helpers.fresh, so that only
-- the registration can keep what it made alive.
describe("event lifetimes", function()
  it("keep handle, callback and upvalues while registered", function()
    local d, p = new_pair()
    local probe = helpers.probe()
    local ran = false
    local function register()
      local captured = probe.new()
      d:timer(0.02, function() ran = captured ~= nil end)
    end
    helpers.fresh(register)
    assert.is_true(probe.alive())
    helpers.park_until(park, p, function() return ran end)
    -- A one-shot timer is released once it ran.
    assert.is_false(probe.alive())
  end)

  it("are released on cancel", function()
    local d = park.Driver()
    local probe = helpers.probe()
    local function register()
      local captured = probe.new()
      return d:timer(10, function() return captured end)
    end
    local h = helpers.fresh(register)
    assert.is_true(probe.alive())
    assert.is_true(h:cancel())
    assert.is_false(probe.alive())
    assert.is_false(h:cancel())
  end)

  it("are released with the Driver, even in a cycle through it", function()
    local probe = helpers.probe()
    local ran = false
    local function register()
      local d = park.Driver()
      local captured = probe.new()
      -- Each callback holds the Driver, which holds the callback.
      local h = d:timer(0.01, 1, function() ran = true; return d, captured end)
      d:signal("SIGUSR2", function() return d, captured end)
      return park.Parker(d), h
    end
    local p, h = helpers.fresh(register)
    assert.is_false(probe.alive())
    assert.is_false(h:is_active())
    -- The parker still runs the driver's loop, with nothing on it.
    assert.equals("timeout", (p:park(0.05)))
    assert.is_false(ran)
    local reason, in_driver = p:park(0)
    assert.equals("timeout", reason)
    assert.is_true(in_driver)
  end)

  it("are released on close", function()
    local d = park.Driver()
    local probe = helpers.probe()
    local function register()
      local captured = probe.new()
      return d:timer(10, function() return captured end)
    end
    local h = helpers.fresh(register)
    d:close()
    assert.is_false(h:is_active())
    assert.is_false(probe.alive())
    assert.is_false(h:cancel())
  end)

  it("keep a file object alive (and open) while registered", function()
    local d = park.Driver()
    local probe = helpers.probe()
    local function register()
      local f = assert(io.popen("true"))
      probe.track(f)
      return d:io(f, "r", function() end)
    end
    local h = helpers.fresh(register)
    assert.is_true(probe.alive())
    assert.is_true(h:cancel())
    assert.is_false(probe.alive())
  end)
end)

describe("driver:io", function()
  it("serves a pipe until its end", function()
    local d, p = new_pair()
    local f = assert(io.popen("printf 'a\\nb\\n'; sleep 0.05; printf 'c\\n'"))
    -- Unbuffered: each read takes one line from the pipe, so readiness
    -- says whether another line is waiting.
    f:setvbuf("no")
    local lines, done = {}, false
    d:io(f, "r", function(h)
      local line = f:read("*l")
      if line then
        lines[#lines + 1] = line
      else
        h:cancel()
        done = true
      end
    end)
    helpers.park_until(park, p, function() return done end)
    f:close()
    assert.same({"a", "b", "c"}, lines)
  end)

  it("reports writability", function()
    local d, p = new_pair()
    local f = assert(io.popen("cat >/dev/null", "w"))
    local ran = 0
    local h = d:io(f, "w", function() ran = ran + 1 end)
    assert.equals("events", (p:park(5)))
    assert.is_true(ran >= 1)
    h:cancel()
    f:close()
  end)

  it("takes an integer fd and an object with getfd", function()
    local d, p = new_pair()
    local a, b = helpers.socket_pair()
    local by_fd, by_object = 0, 0
    local h1 = d:io(a:getfd(), "r", function() by_fd = by_fd + 1 end)
    local h2 = d:io(a, "r", function() by_object = by_object + 1 end)
    assert.equals("timeout", (p:park(0.02)))
    assert(b:send("x"))
    assert.equals("events", (p:park(5)))
    assert.equals(1, by_fd)
    assert.equals(1, by_object)
    h1:cancel()
    h2:cancel()
    a:close()
    b:close()
  end)
end)

describe("driver:signal", function()
  it("runs after the signal arrives, by name and by number", function()
    local d, p = new_pair()
    local got = {}
    local h = d:signal("SIGUSR1", function() got[#got + 1] = "USR1" end)
    helpers.kill("USR1")
    helpers.park_until(park, p, function() return #got == 1 end)
    assert.is_true(h:cancel())
    -- SIGUSR2 is 12 on Linux.
    h = d:signal(12, function() got[#got + 1] = "USR2" end)
    helpers.kill("USR2")
    helpers.park_until(park, p, function() return #got == 2 end)
    assert.is_true(h:cancel())
    assert.same({"USR1", "USR2"}, got)
  end)
end)

describe("bad input", function()
  it("raises and registers nothing", function()
    local d, p = new_pair()
    local ran = false
    local function fn() ran = true end
    local closed = assert(io.popen("true"))
    closed:close()
    local a, b = helpers.socket_pair()
    a:close()
    local cases = {
      {"park: the delay must be a non-negative number of seconds below a century, not -1",
       d.timer, d, -1, fn},
      {"park: the delay must be a non-negative number of seconds below a century",
       d.timer, d, 0/0, fn},
      {"park: the delay must be a number of seconds, not string", d.timer, d, "1", fn},
      {"park: the repeat interval must be a non-negative number", d.timer, d, 0, -1, fn},
      {"park: the callback must be a function, not nil", d.timer, d, 0},
      {"park: the callback must be a function, not table", d.timer, d, 0, 1, {}},
      {"park: the file is closed", d.io, d, closed, "r", fn},
      {"park: fd -1 is not open", d.io, d, a, "r", fn},
      {"park: fd 1000000 is not open", d.io, d, 1000000, "r", fn},
      {"park: the fd must be an integer", d.io, d, 1.5, "r", fn},
      {"park: expected an fd", d.io, d, "0", "r", fn},
      {"park: the mode must be \"r\" or \"w\"", d.io, d, b, "rw", fn},
      {"park: the callback must be a function, not string", d.io, d, b, "r", "fn"},
      {"park: unknown signal \"SIGNOPE\"", d.signal, d, "SIGNOPE", fn},
      {"park: signal 9 cannot be watched", d.signal, d, 9, fn},
      {"park: signal 0 cannot be watched", d.signal, d, 0, fn},
      {"park: the callback must be a function, not nil", d.signal, d, "SIGUSR1"},
    }
    for _, case in ipairs(cases) do
      local ok, err = pcall(case[2], case[3], case[4], case[5], case[6])
      assert.is_false(ok, case[1])
      assert.matches(case[1], err, 1, true)
    end
    b:close()
    assert(b:getfd() == -1)
    -- Nothing is waiting: the park times out and no callback ran.
    assert.equals("timeout", (p:park(0.05)))
    assert.is_false(ran)
  end)
end)
