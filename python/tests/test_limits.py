"""park.Driver() with the descriptor limit just above the descriptors in
use: a driver, or OSError(EMFILE); never the end of the interpreter (libevent
used to exit the process when its signal socketpair could not be made)."""

import errno
import os
import resource
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake
# The wake channel, epoll, libevent's signal socketpair, and the eventfd
# through which libevent's thread support (on since import park) wakes the
# base; plus a timerfd when EVENT_PRECISE_TIMER is set. libpark checks for
# all of them before it makes a base.
NEEDED = 6 if os.environ.get("EVENT_PRECISE_TIMER") else 5


def lowest_free_fd():
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    return fd


def free_below(limit):
    free = 0
    for fd in range(limit):
        try:
            os.fstat(fd)
        except OSError:
            free += 1
    return free


class TestLimits(unittest.TestCase):
    def test_driver_near_the_descriptor_limit(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        for extra in range(9):
            limit = lowest_free_fd() + extra
            room = free_below(limit)
            driver, error = None, None
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
            try:
                driver = park.Driver()
            except OSError as e:
                error = e
            finally:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            if room >= NEEDED:
                self.assertIsNone(error, f"{room} descriptors free")
                p = park.Parker(driver)
                # A poll: it runs the loop whatever the clock does.
                self.assertEqual(p.park(0), W.TIMED_OUT | W.DRIVER)
                p.close()
                driver.close()
            else:
                self.assertIsNone(driver, f"a driver with {room} free")
                self.assertEqual(error.errno, errno.EMFILE)
            # Nothing of a failed or freed driver stays open.
            self.assertEqual(free_below(limit), room)


if __name__ == "__main__":
    fixtures.main()
