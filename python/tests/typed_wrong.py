"""Calls that mypy --strict must reject, one a line, each marked with the
error code mypy gives (python/tests/test_types.py)."""

import park

p = park.Parker()
p.park("soon")  # wrong: arg-type
p.park_until(None)  # wrong: arg-type
p.driver.call_later(1, "not callable")  # wrong: arg-type
p.unparker().unpark(1)  # wrong: call-arg
w: str = p.park()  # wrong: assignment
park.IdleSet(p)  # wrong: arg-type
park.IdleSet(p.driver).park(p.driver)  # wrong: arg-type
p.spin = "fast"  # wrong: assignment
park.Executor("4")  # wrong: arg-type
park.Executor(2).submit(1)  # wrong: arg-type
