"""Park a thread until another thread wakes it.

libpark's parkers for Python threads. A :class:`Parker` belongs to the thread
that parks on it; its :class:`Unparker` wakes it from any thread. An unpark
that comes first is remembered, so there is no lost-wakeup race to guard
against::

    import threading, park

    p = park.Parker()
    u = p.unparker()
    threading.Timer(0.1, u.unpark).start()
    assert p.park() & park.Wake.TOKEN

All parkers made from one :class:`Driver` share its libevent loop: one idle
thread at a time sleeps inside it. The GIL is released while parked, and
Ctrl-C interrupts a park in the main thread.
"""

import enum
from collections import namedtuple

from . import core as _core

__all__ = ["Driver", "Parker", "Unparker", "Wake", "Stats", "__version__"]

#: The version of the libpark C library this module runs on.
__version__ = _core.version_string()


class Wake(enum.IntFlag):
    """Why a park ended: one reason, possibly with ``DRIVER`` set."""

    TOKEN = _core.TOKEN
    """An unpark's token was consumed."""
    TIMED_OUT = _core.TIMED_OUT
    """The timeout or deadline passed first."""
    EVENTS = _core.EVENTS
    """The driver's loop served events; no token."""
    SHUTDOWN = _core.SHUTDOWN
    """The driver was shut down."""
    DRIVER = _core.DRIVER
    """Flag: this park ran the driver's event loop."""

    @property
    def reason(self):
        """The reason without the ``DRIVER`` flag."""
        return Wake(self & _core.REASON_MASK)


# Every possible return value as a Wake, built once: constructing an IntFlag
# costs more than the park it describes.
_WAKES = tuple(Wake(r) for r in range(_core.REASON_MASK + _core.DRIVER + 1))

Stats = namedtuple(
    "Stats", "parks_driver parks_sleeper tokens timeouts spurious")
Stats.__doc__ = """A parker's counters: parks that ran the driver, parks that
slept on the sleeper, tokens consumed, timeouts, and returns that were neither
(driver events or shutdown)."""


def _seconds(value, name):
    # The C layer checks the sign and NaN; bool is an int but never a time.
    if value is not None and (isinstance(value, bool) or
                              not isinstance(value, (int, float))):
        raise TypeError(f"{name} must be a number of seconds or None, "
                        f"not {type(value).__name__}")
    return value


class _Handle:
    __slots__ = ("_h", "__weakref__")

    def _handle(self):
        h = self._h
        if h is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return h

    def close(self):
        """Release the handle; the object is unusable afterwards. Returns
        None."""
        self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Driver(_Handle):
    """The shared event loop that one idle parker at a time sleeps in.

    Made with its own libevent base. Parkers keep their driver alive, so
    closing it (or dropping it) while parkers exist is safe.
    """

    __slots__ = ()

    def __init__(self):
        self._h = _core.Driver()

    def shutdown(self):
        """Stop the driver: wake the thread parked in it (its park returns
        ``Wake.SHUTDOWN | Wake.DRIVER``); later parks sleep on their own
        sleepers. Unpark keeps working. Idempotent. Returns None."""
        self._handle().shutdown()

    @property
    def is_shutdown(self):
        """True once :meth:`shutdown` was called."""
        return self._handle().is_shutdown()

    def __repr__(self):
        if self._h is None:
            return "<park.Driver closed>"
        state = "shut down" if self._h.is_shutdown() else "running"
        return f"<park.Driver {state}>"


class Parker(_Handle):
    """One thread's right to sleep until unparked.

    ``Parker(driver=None)``: a parker on ``driver``, or on a new private
    :class:`Driver` when none is given. Only one thread may park on a parker
    at a time; a second gets ``RuntimeError``.
    """

    # _hidden: slices of main-thread parks (see park()) not to count.
    __slots__ = ("_driver", "_hidden")

    def __init__(self, driver=None):
        if driver is None:
            driver = Driver()
        elif not isinstance(driver, Driver):
            raise TypeError(f"driver must be a park.Driver or None, "
                            f"not {type(driver).__name__}")
        self._driver = driver
        self._hidden = [0, 0]
        self._h = _core.Parker(driver._handle())

    @property
    def driver(self):
        """The :class:`Driver` this parker shares."""
        return self._driver

    def park(self, timeout=None):
        """Sleep until unparked, the timeout passes, or the driver served
        events. ``timeout`` is in seconds: None waits for ever, 0 polls the
        driver once without consuming a token. Returns a :class:`Wake`.
        Raises ValueError for a negative or NaN timeout."""
        r = self._handle().park(_seconds(timeout, "timeout"))
        self._uncount_slices()
        return _WAKES[r]

    def park_until(self, deadline):
        """Like :meth:`park`, until ``deadline``, a :func:`time.monotonic`
        value. A deadline in the past still takes a pending token. Returns a
        :class:`Wake`."""
        if deadline is None:
            raise TypeError("deadline must be a time.monotonic() value")
        r = self._handle().park_until(_seconds(deadline, "deadline"))
        self._uncount_slices()
        return _WAKES[r]

    def _uncount_slices(self):
        # The main thread parks in 50 ms slices so that Ctrl-C is seen;
        # libpark counts each slice, this parker's stats must not.
        driver, sleeper = _core.take_hidden_slices()
        if driver or sleeper:
            self._hidden[0] += driver
            self._hidden[1] += sleeper

    def unparker(self):
        """Returns a new :class:`Unparker` for this parker, usable from any
        thread and valid after this parker is closed."""
        return Unparker._wrap(self._handle().unparker())

    def clone(self):
        """Returns a new :class:`Parker` with its own token, on the same
        driver."""
        twin = Parker.__new__(Parker)
        twin._driver = self._driver
        twin._hidden = [0, 0]
        twin._h = self._handle().clone()
        return twin

    def shutdown(self):
        """Shut down this parker's driver (see :meth:`Driver.shutdown`).
        Returns None."""
        self._handle().shutdown()

    def stats(self):
        """Returns the counters of this parker, as a :class:`Stats`."""
        s = self._handle().stats()
        d, z = self._hidden
        return Stats(s.parks_driver - d, s.parks_sleeper - z, s.tokens,
                     s.timeouts - d - z, s.spurious)

    def __repr__(self):
        if self._h is None:
            return "<park.Parker closed>"
        s = self.stats()
        return (f"<park.Parker tokens={s.tokens} driver_parks="
                f"{s.parks_driver} sleeper_parks={s.parks_sleeper}>")


class Unparker(_Handle):
    """The right to wake one :class:`Parker`, from any thread. Get one with
    :meth:`Parker.unparker`."""

    __slots__ = ()

    def __init__(self):
        raise TypeError("get an Unparker from Parker.unparker()")

    @classmethod
    def _wrap(cls, handle):
        u = cls.__new__(cls)
        u._h = handle
        return u

    def unpark(self):
        """Wake the parker, or leave it a token if it is not parked. Many
        unparks before one park make one token. Returns None."""
        self._handle().unpark()

    def clone(self):
        """Returns another :class:`Unparker` for the same parker."""
        return Unparker._wrap(self._handle().clone())

    def __repr__(self):
        return "<park.Unparker%s>" % (" closed" if self._h is None else "")
