-- require "park": park.IdleSet, every method, which idle parker an
-- unpark_one takes (what one Lua state can observe), callbacks served by
-- set:park(), bad input, finalizers and lifetimes; and driver:wake().
local park = require "park"
local helpers = require "helpers"

local function new_set()
  local d = park.Driver()
  return d, park.IdleSet(d), park.Parker(d)
end

describe("park.IdleSet", function()
  it("joins, counts and leaves", function()
    local _, s, p = new_set()
    assert.equals(0, s:count())
    assert.is_true(s:join(p))
    assert.equals(1, s:count())
    assert.is_true(s:leave(p))
    assert.equals(0, s:count())
    -- Nothing left behind: no token, free to join again.
    assert.equals("timeout", (p:park(0.001)))
    assert.is_true(s:join(p))
    assert.is_true(s:leave(p))
  end)

  it("says when an unpark took the parker, whose token then waits", function()
    local _, s, p = new_set()
    s:join(p)
    assert.is_true(s:unpark_one())
    assert.equals(0, s:count())
    assert.is_false(s:leave(p))
    local reason, in_driver = p:park()
    assert.equals("token", reason)
    assert.is_false(in_driver)
  end)

  it("wakes nobody when nobody is idle", function()
    local _, s, p = new_set()
    assert.is_false(s:unpark_one())
    assert.equals(0, s:unpark_all())
    assert.equals("timeout", (p:park(0.001)))
  end)

  it("wakes every idle parker with unpark_all", function()
    local d, s = new_set()
    local parkers = {}
    for i = 1, 3 do
      parkers[i] = park.Parker(d)
      s:join(parkers[i])
    end
    assert.equals(3, s:unpark_all())
    assert.equals(0, s:count())
    for _, p in ipairs(parkers) do
      assert.is_false(s:leave(p))
      assert.equals("token", (p:park()))
    end
  end)

  it("takes the newest idle parker first", function()
    local d, s = new_set()
    local older, newer = park.Parker(d), park.Parker(d)
    s:join(older)
    s:join(newer)
    s:unpark_one()
    assert.is_true(s:leave(older))   -- still idle
    assert.is_false(s:leave(newer))  -- taken
  end)

  it("parks: joins, parks, leaves, with the parker's reasons", function()
    local _, s, p = new_set()
    local reason, in_driver = s:park(p, 0.01)
    assert.equals("timeout", reason)
    assert.is_true(in_driver)
    assert.equals(0, s:count())
    assert.has_error(function() s:leave(p) end,
      "park: the Parker is not in this IdleSet (it never joined, or it left or parked)")
    -- Joined first: the park leaves too.
    s:join(p)
    s:unpark_one()
    reason, in_driver = s:park(p)
    assert.equals("token", reason)
    assert.is_false(in_driver)
    assert.equals(0, s:count())
    -- A poll.
    reason, in_driver = s:park(p, 0)
    assert.equals("timeout", reason)
    assert.is_true(in_driver)
  end)

  it("runs the driver's callbacks in set:park() as in p:park()", function()
    local d, s, p = new_set()
    local ran, count_then = 0, nil
    d:timer(0.01, function()
      ran = ran + 1
      count_then = s:count()
      assert.is_false(s:unpark_one())  -- p has left by now
    end)
    local reason, in_driver = s:park(p)
    assert.equals(1, ran)
    assert.equals("events", reason)
    assert.is_true(in_driver)
    assert.equals(0, count_then)
  end)

  it("is woken from a callback through unpark_one", function()
    -- The callback runs after the park; the set's wake is the next
    -- park's token.
    local d, s, p = new_set()
    local other = park.Parker(d)
    s:join(other)
    d:timer(0, function() assert.is_true(s:unpark_one()) end)
    assert.equals("events", (s:park(p)))
    assert.is_false(s:leave(other))
    assert.equals("token", (other:park()))
  end)

  it("refuses a park from a callback of its driver", function()
    local d, s, p = new_set()
    local got
    d:timer(0, function() got = {s:park(p, 0.001)} end)
    p:park(1)
    assert.same({nil, "park: cannot park inside a callback of this parker's driver",
                 "EDEADLK"}, got)
    assert.equals(0, s:count())
  end)

  it("returns EBUSY for a parker already in a set", function()
    local d, s, p = new_set()
    local other = park.IdleSet(d)
    assert.is_true(s:join(p))
    for _, call in ipairs({function() return s:join(p) end,
                           function() return other:join(p) end,
                           function() return other:park(p, 0.001) end}) do
      local ok, message, name = call()
      assert.is_nil(ok)
      assert.equals("park: the Parker is in an IdleSet already (leave it first)",
                    message)
      assert.equals("EBUSY", name)
    end
    assert.equals(1, s:count())
    assert.equals(0, other:count())
    assert.is_true(s:leave(p))
  end)

  it("raises on bad input and leaves the set as it was", function()
    local d, s, p = new_set()
    assert.has_error(function() park.IdleSet() end)
    assert.has_error(function() park.IdleSet(nil) end,
                     "park: IdleSet(driver) takes a Driver, not nil")
    assert.has_error(function() park.IdleSet(p) end,
                     "park: IdleSet(driver) takes a Driver, not Parker")
    for _, bad in ipairs({42, "p", d, s}) do
      for _, method in ipairs({"join", "leave", "park"}) do
        assert.has_error(function() s[method](s, bad) end)
      end
    end
    assert.has_error(function() s:join() end)
    assert.has_error(function() s:join(nil) end, "park: expected a Parker, not nil")
    assert.has_error(function() s:join(park.Parker()) end,
                     "park: the Parker is not on the IdleSet's Driver")
    assert.has_error(function() s:park(park.Parker()) end,
                     "park: the Parker is not on the IdleSet's Driver")
    assert.has_error(function() s:park(p, -1) end,
                     "park: timeout must be a non-negative number of seconds (or none)")
    assert.has_error(function() s:park(p, "1") end,
                     "park: timeout must be a number of seconds or nil, not string")
    assert.has_error(function() s.count(p) end)
    assert.equals(0, s:count())
    assert.equals("timeout", (p:park(0.001)))
  end)

  it("raises on closed objects", function()
    local d, s, p = new_set()
    local q = park.Parker(d)
    q:close()
    assert.has_error(function() s:join(q) end, "park: the Parker is closed")
    s:close()
    s:close()
    for _, call in ipairs({function() s:join(p) end, function() s:park(p) end,
                           function() s:unpark_one() end, function() s:count() end}) do
      assert.has_error(call, "park: the IdleSet is closed")
    end
    assert.matches("closed", tostring(s))
    d:close()
    assert.has_error(function() park.IdleSet(d) end, "park: the Driver is closed")
  end)

  it("lets its idle parkers go when it is collected or closed", function()
    local d, _, p = new_set()
    helpers.fresh(function()
      local s = park.IdleSet(d)
      s:join(p)
    end)
    helpers.collect()
    -- Released with a token, free to join another set.
    assert.equals("token", (p:park()))
    local s = park.IdleSet(d)
    s:join(p)
    s:close()
    assert.equals("token", (p:park()))
    assert.is_true(park.IdleSet(d):join(p))
  end)

  it("keeps a collected parker until the set goes, as in C", function()
    local d, s = new_set()
    helpers.fresh(function() s:join(park.Parker(d)) end)
    helpers.collect()
    assert.equals(1, s:count())
    assert.is_true(s:unpark_one())
    s = nil
    helpers.collect()
  end)

  it("is released in every order", function()
    local orders = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}}
    for _, order in ipairs(orders) do
      local h = {}
      h[1] = park.Driver()
      h[2] = park.IdleSet(h[1])
      h[3] = park.Parker(h[1])
      h[2]:join(h[3])
      local u = h[3]:unparker()
      for _, i in ipairs(order) do
        h[i] = nil
        helpers.collect()
        if h[2] then h[2]:count(); h[2]:unpark_all() end
        if h[3] then assert.is_string((h[3]:park(0))) end
      end
      assert.is_true(u:unpark())
    end
  end)

  it("has finalizers a script cannot break", function()
    local d, s, p = new_set()
    s:join(p)
    local gc = getmetatable(s).__gc
    assert.has_error(function() gc(42) end,
                     "park: __gc of an IdleSet called on a number")
    assert.has_error(function() gc(p) end,
                     "park: __gc of an IdleSet called on a Parker")
    assert.has_error(function() getmetatable(p).__gc(s) end,
                     "park: __gc of a Parker called on an IdleSet")
    assert.has_error(function() getmetatable(s).__index(d, "count") end)
    gc(s)
    gc(s)
    assert.has_error(function() s:count() end, "park: the IdleSet is closed")
    assert.equals("token", (p:park()))
    assert.is_nil(s.__disown)
  end)
end)

describe("park.IdleSet searching", function()
  it("notify wakes one, then nobody until the searcher stops", function()
    local d, s, p = new_set()
    local q = park.Parker(d)
    s:join(p)
    s:join(q)
    assert.equals(0, s:searching())
    assert.is_true(s:notify())
    assert.same({1, 1}, {s:searching(), s:count()})
    assert.is_false(s:notify())
    assert.equals(1, s:count())
    local woken = s:leave(q) and p or q
    assert.equals("token", (woken:park()))
    assert.is_true(s:stop_searching(woken))
    assert.equals(0, s:searching())
    assert.is_false(s:stop_searching(woken))
    assert.is_true(s:notify())
    assert.equals(0, s:count())
  end)

  it("wakes nobody with nobody idle, and a new join ends a search", function()
    local _, s, p = new_set()
    assert.is_false(s:notify())
    s:join(p)
    assert.is_true(s:notify())
    assert.equals("token", (s:park(p)))
    assert.equals(1, s:searching())
    s:join(p)
    assert.equals(0, s:searching())
    s:leave(p)
  end)

  it("raises for a parker of another driver", function()
    local _, s = new_set()
    assert.has_error(function() s:stop_searching(park.Parker()) end,
                     "park: the Parker is not on the IdleSet's Driver")
  end)
end)

describe("driver:wake", function()
  it("makes the next driver park return, once", function()
    local d = park.Driver()
    local p = park.Parker(d)
    assert.is_true(d:wake())
    local reason, in_driver = p:park()
    assert.equals("events", reason)
    assert.is_true(in_driver)
    assert.equals("timeout", (p:park(0.01)))
  end)

  it("takes no token and raises when closed", function()
    local d = park.Driver()
    local p = park.Parker(d)
    d:wake()
    p:unparker():unpark()
    assert.equals("token", (p:park()))
    d:close()
    assert.has_error(function() d:wake() end, "park: the Driver is closed")
  end)
end)
