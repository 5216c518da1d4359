"""park: handles released in any order, cycles collected, nothing leaks."""

import gc
import os
import sys
import unittest
import weakref

sys.path.insert(0, os.path.dirname(__file__))
import park  # noqa: E402
import fixtures  # noqa: E402

W = park.Wake


def resident_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def open_fds():
    return len(os.listdir("/proc/self/fd"))


class TestLifetime(unittest.TestCase):
    def test_unparker_outlives_parker_and_driver(self):
        d = park.Driver()
        p = park.Parker(d)
        u = p.unparker()
        gone = weakref.ref(p), weakref.ref(d)
        fds = open_fds()
        del p, d
        gc.collect()
        self.assertEqual([w() for w in gone], [None, None])
        self.assertIsNone(u.unpark())
        self.assertIsNone(u.clone().unpark())
        # The driver's descriptors stay until the last unparker goes.
        self.assertEqual(open_fds(), fds)
        del u
        gc.collect()
        self.assertLess(open_fds(), fds)

    def test_parker_outlives_closed_driver(self):
        d = park.Driver()
        p = park.Parker(d)
        d.close()
        self.assertEqual(p.park(0.001).reason, W.TIMED_OUT)
        p.unparker().unpark()
        self.assertEqual(p.park(), W.TOKEN)

    def test_cycles_are_collected(self):
        class Holder:
            pass

        h = Holder()
        h.self = h
        h.parker = park.Parker()
        h.unparker = h.parker.unparker()
        gone = weakref.ref(h.parker)
        del h
        gc.collect()
        self.assertIsNone(gone())

    @unittest.skipIf(fixtures.UNDER_VALGRIND,
                     "valgrind holds freed memory back; its leak check "
                     "stands in for this")
    def test_create_release_rounds_do_not_grow(self):
        def rounds(n):
            for _ in range(n):
                d = park.Driver()
                p = park.Parker(d)
                c = p.clone()
                u = c.unparker()
                u.unpark()
                c.park()
                p.park(0)
                del d, p, c, u

        rounds(2000)  # warm up allocator and caches
        gc.collect()
        rss, fds = resident_kib(), open_fds()
        rounds(20000)
        gc.collect()
        # A leaked driver alone is kilobytes a round: 20000 rounds would
        # add tens of megabytes and 20000 descriptors.
        self.assertLess(resident_kib() - rss, 2048)
        self.assertEqual(open_fds(), fds)


if __name__ == "__main__":
    fixtures.main()
