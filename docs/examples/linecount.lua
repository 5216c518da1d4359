-- A line counter that does its I/O while parked: the parker sleeps inside
-- the driver's event loop, which serves a pipe from a child process and a
-- timer; the callback that sees the end of the pipe wakes the parker.
-- Runs on Lua 5.1 to 5.4 and LuaJIT:  lua linecount.lua
local park = require "park"

local driver = park.Driver()
local parker = park.Parker(driver)
local wake = parker:unparker()

-- Three lines, the last one late.
local pipe = assert(io.popen("printf 'one\\ntwo\\n'; sleep 0.2; printf 'three\\n'"))
-- Unbuffered, a read takes one line from the pipe and no more, so "the
-- pipe is readable" keeps meaning "another line is waiting".
pipe:setvbuf("no")

local lines, ticks = 0, 0
driver:io(pipe, "r", function(handle)
  local line = pipe:read("*l")
  if line then
    lines = lines + 1
    print(("line %d: %s"):format(lines, line))
  else
    handle:cancel()
    wake:unpark()
  end
end)
local ticker = driver:timer(0.05, 0.05, function() ticks = ticks + 1 end)

-- Each park serves whatever is due; it returns "events" after running
-- callbacks, and "token" once the end of the pipe unparked us.
repeat
  local reason = parker:park()
until reason == "token"
ticker:cancel()
pipe:close()
print(("%d lines, %d timer ticks while waiting"):format(lines, ticks))
assert(lines == 3 and ticks >= 1)
