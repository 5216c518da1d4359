-- require "park": a programming error raises a Lua error with a clear
-- message and leaves everything working; a runtime failure returns nil,
-- message, errno name.
local park = require "park"

-- The parker still takes a token after whatever was tried on it.
local function assert_intact(p)
  assert.is_true(p:unparker():unpark())
  assert.equals("token", (p:park()))
end

describe("park errors", function()
  it("raises on timeouts of the wrong type", function()
    local p = park.Parker()
    for _, bad in ipairs({"1", {}, true, print}) do
      assert.has_error(function() p:park(bad) end,
        ("park: timeout must be a number of seconds or nil, not %s"):format(type(bad)))
      assert.has_error(function() p:park_until(bad) end,
        ("park: deadline must be a number of seconds or nil, not %s"):format(type(bad)))
    end
    assert_intact(p)
  end)

  it("raises on negative and NaN timeouts", function()
    local p = park.Parker()
    local message = "park: timeout must be a non-negative number of seconds (or none)"
    for _, bad in ipairs({-1, -0.001, -math.huge, 0/0}) do
      assert.has_error(function() p:park(bad) end, message)
    end
    assert.has_error(function() p:park_until(0/0) end, message)
    assert_intact(p)
  end)

  it("waits for the token with infinite and huge timeouts", function()
    local p = park.Parker()
    local u = p:unparker()
    u:unpark()
    assert.equals("token", (p:park(math.huge)))
    u:unpark()
    assert.equals("token", (p:park(1e300)))
    u:unpark()
    assert.equals("token", (p:park_until(park.monotonic() + 1e12)))
  end)

  it("raises on handles of the wrong type", function()
    assert.has_error(function() park.Parker(5) end,
                     "park: Parker(driver) takes a Driver or nil, not number")
    assert.has_error(function() park.Parker(park.Parker()) end,
                     "park: Parker(driver) takes a Driver or nil, not Parker")
    local p = park.Parker()
    local u = p:unparker()
    assert.has_error(function() p.park(park.Driver()) end)
    assert.has_error(function() u.unpark(p) end)
    assert.has_error(function() u.into_raw(p) end)
    assert.has_error(function() park.Driver().timer(p, 1, print) end,
                     "park: expected a Driver, not Parker")
    assert_intact(p)
  end)

  it("raises on use after close, and closes twice quietly", function()
    local d = park.Driver()
    local p = park.Parker(d)
    local u = p:unparker()
    for _, object in ipairs({u, p, d}) do
      object:close()
      object:close()
    end
    assert.has_error(function() u:unpark() end, "park: the Unparker is closed")
    assert.has_error(function() p:park(0) end, "park: the Parker is closed")
    assert.has_error(function() p:unparker() end, "park: the Parker is closed")
    assert.has_error(function() d:shutdown() end, "park: the Driver is closed")
    assert.has_error(function() d:timer(1, print) end, "park: the Driver is closed")
    assert.has_error(function() park.Parker(d) end, "park: the Driver is closed")
    assert.matches("closed", tostring(p))
  end)

  it("keeps a closed Driver's parkers working", function()
    local d = park.Driver()
    local p = park.Parker(d)
    d:close()
    local reason, in_driver = p:park(0)
    assert.equals("timeout", reason)
    assert.is_true(in_driver)
    assert_intact(p)
  end)

  it("raises on misuse of raw handles", function()
    local expects = "park: unparker_from_raw expects the light userdata " ..
                    "from Unparker:into_raw(), not "
    assert.has_error(function() park.unparker_from_raw(nil) end, expects .. "nil")
    assert.has_error(function() park.unparker_from_raw("raw") end, expects .. "string")
    assert.has_error(function() park.unparker_from_raw(park.Parker()) end,
                     expects .. "Parker")
    local p = park.Parker()
    local raw = p:unparker():into_raw()
    park.unparker_from_raw(raw):unpark()
    assert.has_error(function() park.unparker_from_raw(raw) end,
      "park: not a raw unparker (adopted already, or never made by into_raw)")
    assert.equals("token", (p:park()))
  end)

  it("returns nil, message, errno name on a runtime failure", function()
    -- epoll cannot watch a regular file: libevent refuses with EPERM.
    -- poll and select (EVENT_NOEPOLL) watch it, always ready.
    local d = park.Driver()
    local path = os.tmpname()
    local file = assert(io.open(path))
    local handle, message, name = d:io(file, "r", function() end)
    file:close()
    os.remove(path)
    if os.getenv("EVENT_NOEPOLL") then
      assert.is_not_nil(handle, message)
      handle:cancel()
      return
    end
    assert.is_nil(handle)
    assert.equals("EPERM", name)
    assert.matches("^park: libevent cannot watch fd %d+: ", message)
  end)
end)
