-- One Lua state: a parker, its unparker, a timed park, and the raw handle a
-- host program would copy into another lua_State (see
-- tests/check_lua_states.c for the two-thread version).
-- Runs on Lua 5.1 to 5.4 and LuaJIT:  lua handoff.lua
local park = require "park"

print("park " .. park.version)
local driver = park.Driver()
local parker = park.Parker(driver)
local unparker = parker:unparker()

local reason, in_driver = parker:park(0.05)
print(("park(0.05): %s, in the driver: %s"):format(reason, tostring(in_driver)))

unparker:unpark()
print("after unpark, park() returns " .. parker:park())

-- Across states: into_raw() here, unparker_from_raw() there.
local raw = unparker:into_raw()
local adopted = park.unparker_from_raw(raw)
adopted:unpark()
print("the adopted unparker woke it: " .. parker:park())

local s = parker:stats()
print(("stats: %d tokens, %d timeouts, %d driver parks"):format(
  s.tokens, s.timeouts, s.parks_driver))
