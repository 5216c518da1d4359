-- A minimal TAP harness: tap.test(name, fn) runs fn and prints one TAP line;
-- tap.done() prints the plan and exits non-zero on any failure.
local tap = {}
local count, failed = 0, 0

function tap.test(name, fn)
  count = count + 1
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    print(("ok %d - %s"):format(count, name))
  else
    failed = failed + 1
    print(("not ok %d - %s"):format(count, name))
    for line in tostring(err):gmatch("[^\n]+") do print("# " .. line) end
  end
end

-- Asserts that fn(...) raises an error whose message matches pattern.
function tap.raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error matching '" .. pattern .. "'")
  assert(tostring(err):find(pattern),
         "error '" .. tostring(err) .. "' does not match '" .. pattern .. "'")
end

-- Under valgrind freed memory is held back, so size checks say nothing;
-- the leak check stands in for them there.
tap.under_valgrind = os.getenv("PARK_UNDER_VALGRIND") == "1"

function tap.eq(got, want, what)
  if got ~= want then
    error(("%s: got %s, want %s"):format(what or "value", tostring(got),
                                         tostring(want)), 2)
  end
end

function tap.done()
  print("1.." .. count)
  -- Close the state so every handle is collected (valgrind then sees
  -- everything freed).
  os.exit(failed == 0 and count > 0, true)
end

return tap
