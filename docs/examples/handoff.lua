-- One Lua state: a parker, its unparker, a timed park, and the raw handle a
-- host program would copy into another lua_State (see
-- tests/check_lua_states.c for the two-thread version).
local park = require "park"

print("park " .. park.version)
local driver = park.Driver()
local parker = park.Parker(driver)
local unparker = parker:unparker()

local r = parker:park(0.05)
print(("park(0.05): timed out=%s, ran the driver=%s"):format(
  r & park.REASON_MASK == park.TIMED_OUT, r & park.DRIVER ~= 0))

unparker:unpark()
print("after unpark, park() returns TOKEN: " .. tostring(parker:park() == park.TOKEN))

-- Across states: into_raw() here, unparker_from_raw() there.
local raw = unparker:into_raw()
local adopted = park.unparker_from_raw(raw)
adopted:unpark()
print("adopted unparker woke it: " .. tostring(parker:park() == park.TOKEN))

local s = parker:stats()
print(("stats: %d tokens, %d timeouts, %d driver parks"):format(
  s.tokens, s.timeouts, s.parks_driver))
