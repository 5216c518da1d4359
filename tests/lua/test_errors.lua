-- require "park": wrong arguments are Lua errors with clear messages, and
-- nothing is left broken by them.
local tap = require "tap"
local park = require "park"
local test, eq, raises = tap.test, tap.eq, tap.raises

local function intact(p)
  p:unparker():unpark()
  eq(p:park(), park.TOKEN, "parker still works")
end

test("wrong timeout types", function()
  local p = park.Parker()
  for _, bad in ipairs({"1", {}, true, print}) do
    raises("timeout must be a number of seconds or nil", p.park, p, bad)
    raises("deadline must be a number of seconds or nil", p.park_until, p, bad)
  end
  intact(p)
end)

test("negative and NaN timeouts", function()
  local p = park.Parker()
  for _, bad in ipairs({-1, -0.001, -math.huge, 0/0}) do
    raises("non%-negative", p.park, p, bad)
  end
  raises("non%-negative", p.park_until, p, 0/0)
  intact(p)
end)

test("infinite and huge timeouts wait for the token", function()
  local p = park.Parker()
  local u = p:unparker()
  u:unpark()
  eq(p:park(math.huge), park.TOKEN, "math.huge")
  u:unpark()
  eq(p:park(1e300), park.TOKEN, "1e300")
  u:unpark()
  eq(p:park_until(park.monotonic() + 1e12), park.TOKEN, "far deadline")
end)

test("wrong handle types", function()
  raises("expected 'Driver %*'", park.Parker, 5)
  raises("expected 'Driver %*'", park.Parker, park.Parker())
  local p = park.Parker()
  raises("expected 'Parker %*'", p.park, park.Driver())
  raises("expected 'Unparker %*'", p:unparker().unpark, p)
  raises("expected 'Unparker %*'", p:unparker().into_raw, p)
end)

test("raw handle misuse", function()
  raises("expects the light userdata", park.unparker_from_raw, nil)
  raises("expects the light userdata", park.unparker_from_raw, "raw")
  raises("expects the light userdata", park.unparker_from_raw, park.Parker())
  local p = park.Parker()
  local raw = p:unparker():into_raw()
  park.unparker_from_raw(raw):unpark()
  raises("adopted already", park.unparker_from_raw, raw)
  eq(p:park(), park.TOKEN, "the one adoption worked")
end)

tap.done()
