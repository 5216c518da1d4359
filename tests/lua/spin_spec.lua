-- require "park": p:set_spin(seconds) and p:spin(), the budget a park
-- spins before it sleeps, and parks_spin in p:stats(). A park spins only
-- where it would sleep on its own sleeper, so most parkers here are on a
-- shut-down driver. A Lua state has one thread, so the unpark that lands
-- during a spin is tested from Python (python/tests/test_spin.py) and in
-- C; here a spin ends by its park's timeout.
local park = require "park"
local helpers = require "helpers"

-- A budget no test waits out: only a timeout ends its spin.
local FOREVER = 600

-- A parker on a shut-down driver, and the driver.
local function stopped_parker()
  local d = park.Driver()
  assert(d:shutdown())
  return park.Parker(d), d
end

-- p's counters: those named in counts, every other one 0.
local function assert_stats(counts, p)
  local expected = {parks_driver = 0, parks_sleeper = 0, tokens = 0,
                    timeouts = 0, spurious = 0, parks_spin = 0}
  for name, n in pairs(counts) do expected[name] = n end
  assert.same(expected, p:stats())
end

-- The budget is as it was and the parker still takes a token.
local function assert_intact(p, spin)
  assert.equals(spin, p:spin())
  assert.is_true(p:unparker():unpark())
  assert.equals("token", (p:park()))
end

describe("park spin", function()
  it("is off on a new parker", function()
    local p = park.Parker()
    assert.equals(0, p:spin())
    assert.equals("number", type(p:spin()))
    assert.equals(0, p:stats().parks_spin)
  end)

  it("reads back the budget as it was set", function()
    local p = park.Parker()
    for _, seconds in ipairs({20e-6, 1e-9, 0.5, 1.25, 3, 9223372036, 0}) do
      assert.is_true(p:set_spin(seconds))
      assert.equals(seconds, p:spin())
    end
  end)

  it("keeps the budget to the nearest nanosecond", function()
    local p = park.Parker()
    p:set_spin(1.4e-9)
    assert.equals(1e-9, p:spin())
    p:set_spin(1.6e-9)
    assert.equals(2e-9, p:spin())
    p:set_spin(0.4e-9)
    assert.equals(0, p:spin())
  end)

  it("gives a clone the same budget, a new parker none", function()
    local p = park.Parker()
    p:set_spin(7e-6)
    assert.equals(7e-6, p:clone():spin())
    assert.equals(0, park.Parker(park.Driver()):spin())
  end)

  it("raises on budgets of the wrong type", function()
    local p = park.Parker()
    p:set_spin(1e-6)
    for _, bad in ipairs({"1", {}, true, print}) do
      assert.has_error(function() p:set_spin(bad) end,
        ("park: spin must be a number of seconds, not %s"):format(type(bad)))
    end
    assert.has_error(function() p:set_spin(nil) end,
                     "park: spin must be a number of seconds, not nil")
    assert.has_error(function() p:set_spin() end,
                     "park: spin must be a number of seconds, not no value")
    assert_intact(p, 1e-6)
  end)

  it("raises on negative, NaN, infinite and too large budgets", function()
    local p = park.Parker()
    p:set_spin(1e-6)
    local message = "park: spin must be a finite number of seconds from 0 " ..
                    "to 9223372036.854775807 (int64 nanoseconds)"
    for _, bad in ipairs({-1, -1e-9, -math.huge, 0/0, math.huge,
                          9223372037, 9.3e9, 1e300}) do
      assert.has_error(function() p:set_spin(bad) end, message)
    end
    assert_intact(p, 1e-6)
  end)

  it("raises on a closed parker", function()
    local p = park.Parker()
    p:close()
    assert.has_error(function() p:set_spin(1e-6) end,
                     "park: the Parker is closed")
    assert.has_error(function() p:spin() end, "park: the Parker is closed")
  end)

  it("counts a park that ended while spinning", function()
    local p = stopped_parker()
    p:set_spin(FOREVER)
    local start = park.monotonic()
    local reason, in_driver = p:park(0.02)
    local took = park.monotonic() - start
    assert.equals("timeout", reason)
    assert.is_false(in_driver)
    assert.is_true(took >= 0.02, "returned early")
    assert.is_true(took < 10, "spun past the timeout")
    assert_stats({timeouts = 1, parks_spin = 1}, p)
    p:park_until(park.monotonic() + 0.02)
    assert_stats({timeouts = 2, parks_spin = 2}, p)
  end)

  it("spins in an idle set's park", function()
    local p, d = stopped_parker()
    local set = park.IdleSet(d)
    p:set_spin(FOREVER)
    assert.equals("timeout", (set:park(p, 0.02)))
    assert_stats({timeouts = 1, parks_spin = 1}, p)
  end)

  it("takes a waiting token without spinning", function()
    local p = stopped_parker()
    p:set_spin(FOREVER)
    p:unparker():unpark()
    assert.equals("token", (p:park()))
    assert_stats({tokens = 1}, p)
  end)

  it("never spins without a budget", function()
    local p = stopped_parker()
    assert.equals("timeout", (p:park(0.02)))
    assert_stats({parks_sleeper = 1, timeouts = 1}, p)
  end)

  it("sleeps once the budget is spent", function()
    local p = stopped_parker()
    p:set_spin(0.001)
    local cpu = os.clock()
    assert.equals("timeout", (p:park(0.2)))
    cpu = os.clock() - cpu
    assert_stats({parks_sleeper = 1, timeouts = 1}, p)
    if not helpers.under_valgrind then -- valgrind's own work counts as CPU
      assert.is_true(cpu < 0.1, ("%.3f s of CPU in a 0.2 s park"):format(cpu))
    end
  end)

  it("never spins before the driver's loop or in a poll", function()
    local p = park.Parker()
    p:set_spin(FOREVER)
    local start = park.monotonic()
    local reason, in_driver = p:park(0.02)
    assert.equals("timeout", reason)
    assert.is_true(in_driver)
    assert.is_true(park.monotonic() - start < 10, "spun before the loop")
    assert_stats({parks_driver = 1, timeouts = 1}, p)
    local stopped = stopped_parker()
    stopped:set_spin(FOREVER)
    assert.equals("shutdown", (stopped:park(0)))
    assert_stats({spurious = 1}, stopped)
  end)
end)
