-- require "park": the garbage collector releases handles in any order, and
-- create/release rounds do not grow the process.
local tap = require "tap"
local park = require "park"
local test, eq = tap.test, tap.eq

local function resident_kib()
  local f = assert(io.open("/proc/self/statm"))
  local pages = f:read("n") and f:read("n")
  f:close()
  return pages * 4
end

test("unparker outlives parker and driver", function()
  local d = park.Driver()
  local p = park.Parker(d)
  local u = p:unparker()
  d, p = nil, nil
  collectgarbage()
  collectgarbage()
  u:unpark()
  u:clone():unpark()
end)

test("parker outlives its driver object", function()
  local p = park.Parker(park.Driver())
  collectgarbage()
  collectgarbage()
  eq(p:park(0.001) & park.REASON_MASK, park.TIMED_OUT, "park")
end)

test("release in every order", function()
  local orders = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}}
  for _, order in ipairs(orders) do
    local h = {}
    h[1] = park.Driver()
    h[2] = park.Parker(h[1])
    h[3] = h[2]:unparker()
    for _, i in ipairs(order) do
      h[i] = nil
      collectgarbage()
    end
  end
end)

test("create/release rounds do not grow", function()
  local function rounds(n)
    for _ = 1, n do
      local d = park.Driver()
      local p = park.Parker(d)
      local c = p:clone()
      local u = c:unparker()
      u:unpark()
      c:park()
      p:park(0)
      if _ % 100 == 0 then collectgarbage() end
    end
    collectgarbage()
    collectgarbage()
  end
  rounds(2000)
  if tap.under_valgrind then return end
  local before = resident_kib()
  rounds(20000)
  -- A leaked driver is kilobytes: 20000 of them would be tens of MiB.
  local grown = resident_kib() - before
  assert(grown < 2048, ("grew by %d KiB"):format(grown))
end)

tap.done()
