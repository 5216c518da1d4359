-- require "park": the collector, close() and finalizers release handles in
-- any order, and nothing a script does to a finalizer can break a handle.
local park = require "park"
local helpers = require "helpers"

describe("park lifetimes", function()
  it("lets an unparker outlive its parker and driver", function()
    local d = park.Driver()
    local p = park.Parker(d)
    local u = p:unparker()
    d, p = nil, nil
    helpers.collect()
    assert.is_true(u:unpark())
    assert.is_true(u:clone():unpark())
  end)

  it("lets a parker outlive its Driver object", function()
    local p = park.Parker(park.Driver())
    helpers.collect()
    local reason, in_driver = p:park(0)
    assert.equals("timeout", reason)
    assert.is_true(in_driver)
  end)

  it("releases in every order", function()
    local orders = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}}
    for _, order in ipairs(orders) do
      local h = {}
      h[1] = park.Driver()
      h[2] = park.Parker(h[1])
      h[3] = h[2]:unparker()
      for _, i in ipairs(order) do
        h[i] = nil
        helpers.collect()
        -- What is left still works.
        if h[3] then assert.is_true(h[3]:unpark()) end
        if h[2] then assert.is_string((h[2]:park(0))) end
      end
    end
  end)

  it("does not grow over create/release rounds", function()
    local function rounds(n)
      for i = 1, n do
        local d = park.Driver()
        local p = park.Parker(d)
        local c = p:clone()
        c:unparker():unpark()
        c:park()
        p:park(0)
        d:timer(0, function() end)
        if i % 100 == 0 then collectgarbage() end
      end
      helpers.collect()
    end
    rounds(2000)
    if helpers.under_valgrind then return end
    local before = helpers.resident_kib()
    rounds(20000)
    -- A leaked driver is kilobytes: 20000 of them would be tens of MiB.
    local grown = helpers.resident_kib() - before
    assert.is_true(grown < 2048, ("grew by %d KiB"):format(grown))
  end)

  it("makes a second finalizer call a no-op", function()
    -- This freed the parker under a live p (issue 14).
    local p = park.Parker()
    local u = p:unparker()
    getmetatable(u).__gc(u)
    getmetatable(u).__gc(u)
    assert.has_error(function() u:unpark() end, "park: the Unparker is closed")
    for _ = 1, 3 do
      assert.is_true(p:unparker():unpark())
      assert.equals("token", (p:park()))
    end
    getmetatable(p).__gc(p)
    getmetatable(p).__gc(p)
    assert.has_error(function() p:park(0) end, "park: the Parker is closed")
  end)

  it("raises when a finalizer gets a foreign value", function()
    -- This failed an assertion and aborted the process (issue 14).
    local p = park.Parker()
    local d = park.Driver()
    local gc = getmetatable(p).__gc
    assert.has_error(function() gc(42) end,
                     "park: __gc of a Parker called on a number")
    assert.has_error(function() gc(d) end,
                     "park: __gc of a Parker called on a Driver")
    assert.has_error(function() gc(io.stdout) end)
    assert.has_error(function() getmetatable(d).__gc(nil) end,
                     "park: __gc of a Driver called on a nil")
    assert.has_error(function() getmetatable(d).__tostring({}) end)
    assert.has_error(function() getmetatable(d).__index(1, "shutdown") end)
    -- Both objects are untouched.
    assert.is_true(d:shutdown())
    p:unparker():unpark()
    assert.equals("token", (p:park()))
  end)

  it("closes at the end of a to-be-closed variable (Lua 5.4)", function()
    if _VERSION ~= "Lua 5.4" then
      pending("to-be-closed variables are Lua 5.4's")
      return
    end
    local body = assert((loadstring or load)([[
      local park = ...
      local kept
      do
        local p <close> = park.Parker()
        kept = p
        assert(p:park(0))
      end
      return kept
    ]]))
    local p = body(park)
    assert.has_error(function() p:park(0) end, "park: the Parker is closed")
  end)
end)
