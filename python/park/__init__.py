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
thread at a time sleeps inside it and runs the callbacks registered on the
driver (:meth:`Driver.call_later`, :meth:`Driver.add_reader`, ...). The GIL
is released while parked, and Ctrl-C interrupts a park in the main thread.

This module checks every argument; park.core (the SWIG extension) trusts it.
"""

import enum
import math
import operator
import os
import signal as _signal
import sys
import threading
from collections import deque, namedtuple

from . import core as _core

__all__ = ["Driver", "Executor", "Handle", "IdleSet", "Parker", "Stats",
           "Unparker", "Wake", "__version__"]

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
    "Stats", "parks_driver parks_sleeper tokens timeouts spurious parks_spin")
Stats.__doc__ = """A parker's counters: parks that ran the driver, parks that
slept on the sleeper, tokens consumed, timeouts, returns that were neither
(driver events or shutdown), and parks that ended while spinning, before the
sleeper (see :attr:`Parker.spin`). A park that raised is not counted (a
token it took waits for the next park, which counts it)."""


# ---- arguments: every number is checked here, the same way ---------------
# TypeError for a wrong type (bool is an int but never a time or a
# descriptor), ValueError for a value out of range, whatever its size.

_NS = 1_000_000_000
# A century: libpark's own horizon. Longer timeouts mean "none"; longer
# timer delays are clamped to it.
_CENTURY_NS = 100 * 365 * 24 * 3600 * _NS


def _seconds(value, name, what="a number of seconds"):
    """value if it is a non-negative number (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be {what}, not {type(value).__name__}")
    if not value >= 0 and what == "a number of seconds":  # also NaN
        raise ValueError(f"{name} must be a non-negative number of "
                         f"seconds, not {value!r}")
    return value


def _ns(seconds, limit, rounding=math.ceil):
    """The one conversion: seconds (checked) as whole nanoseconds, rounded
    up unless told otherwise; None past limit (or infinite)."""
    if isinstance(seconds, int):
        ns = seconds * _NS
    elif seconds > limit / _NS:
        return None
    else:
        ns = rounding(seconds * _NS)
    return None if ns > limit else ns


def _seconds_ns(value, name, beyond):
    """A duration, rounded up so that nothing ends early; beyond a century,
    beyond."""
    ns = _ns(_seconds(value, name), _CENTURY_NS)
    return beyond if ns is None else ns


def _timeout_ns(timeout):
    """park()'s timeout: -1 for none, 0 to poll, else nanoseconds."""
    return -1 if timeout is None else _seconds_ns(timeout, "timeout", -1)


# libpark takes any int64_t budget; beyond it is an error, not "none".
_SPIN_MAX_NS = 2 ** 63 - 1


def _spin_ns(value):
    """A spin budget, to the nearest nanosecond (so that it reads back as
    it was set)."""
    ns = _ns(_seconds(value, "spin"), _SPIN_MAX_NS, round)
    if ns is None:
        raise ValueError("spin must be at most 9223372036.854775807 seconds "
                         f"(int64 nanoseconds), not {value!r}")
    return ns


def _deadline_ns(deadline):
    """A time.monotonic() value as nanoseconds, at least 0 (the past);
    None when it is infinitely far."""
    _seconds(deadline, "deadline", "a time.monotonic() value")
    if deadline != deadline:
        raise ValueError("deadline must be a time.monotonic() value, not nan")
    return 0 if deadline <= 0 else _ns(deadline, 2 ** 62)


def _int(value, name):
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, "
                        f"not {type(value).__name__}") from None


_FD_MAX = 2 ** 31 - 1


def _fileno(fd):
    """An int or an object with fileno(), as a descriptor number."""
    if not isinstance(fd, int) and hasattr(fd, "fileno"):
        fd = fd.fileno()
    fd = _int(fd, "fd")
    if not 0 <= fd <= _FD_MAX:
        raise ValueError(f"fd must be a file descriptor (0 to {_FD_MAX}), "
                         f"not {fd}")
    return fd


def _open_fileno(fd):
    fd = _fileno(fd)
    try:
        os.fstat(fd)
    except OSError:
        raise ValueError(f"fd {fd} is not open") from None
    return fd


_UNCATCHABLE = {_signal.SIGKILL, _signal.SIGSTOP}


def _signum(signum):
    signum = _int(signum, "signum")
    if signum not in _signal.valid_signals() or signum in _UNCATCHABLE:
        raise ValueError(f"signum {signum} is not a signal that can be "
                         "caught")
    return signum


def _driver(driver, what="a park.Driver"):
    if not isinstance(driver, Driver):
        raise TypeError(f"driver must be {what}, not {type(driver).__name__}")
    return driver


def _callback(fn):
    if not callable(fn):
        raise TypeError(f"callback must be callable, "
                        f"not {type(fn).__name__}")
    return fn


# ---- the main thread -------------------------------------------------------
# Python runs signal handlers in the main thread only, between bytecodes, so
# a park there sleeps in slices and checks for signals between them. The
# main thread of a child forked from another thread is the forking thread.

_get_ident = threading.get_ident
_main_ident = threading.main_thread().ident
# How many forks this process descends through: what a Driver queued for
# the loop before a fork is the parent's, as libpark's own posts are.
_forks = 0


def _after_fork_in_child():
    global _main_ident, _forks
    _main_ident = threading.get_ident()
    _forks += 1


os.register_at_fork(after_in_child=_after_fork_in_child)


def _in_main():
    return _get_ident() == _main_ident


# ---- handles ---------------------------------------------------------------

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

    def __exit__(self, exc_type, exc, tb):
        self.close()


class _OnDriver(_Handle):
    __slots__ = ("_driver",)

    @property
    def driver(self):
        """The :class:`Driver` this object is on."""
        return self._driver


class Handle:
    """A callback registered on a :class:`Driver`, as returned by
    :meth:`Driver.call_later` and the other ``add_`` methods. It runs inside
    the park of whichever thread holds the driver. Used in a ``with``
    block, it is cancelled at the end of the block."""

    __slots__ = ("_driver", "_event", "_fn", "_args", "_table", "_key",
                 "_once", "__weakref__")

    def cancel(self):
        """Unregister the callback: it does not run again, and it and its
        arguments are released. A callback running in another thread is
        waited for. Idempotent; may be called from the callback itself.
        Returns None."""
        self._end(_core.Event.cancel)

    @property
    def active(self):
        """True until the handle is cancelled, or its one-shot timer's
        callback has returned."""
        return self._event is not None

    def _end(self, stop=None):
        # stop(event): cancel, or abandon when Driver.reinit() replaced the
        # base the event is on (park_py_event_abandon); None when a one-shot
        # timer has fired. Then the callback is released.
        event, self._event = self._event, None
        if event is None:
            return
        if stop is not None:
            stop(event)
        self._release()

    def _release(self):
        self._driver._events.pop(self, None)
        if self._table is not None and self._table.get(self._key) is self:
            del self._table[self._key]
        self._fn = self._args = self._table = None

    def _fire(self):
        # Called by park.core inside a park, with the GIL, as
        # Handle._fire(handle). Attributes may be gone when the garbage
        # collector is taking a cycle apart.
        fn = getattr(self, "_fn", None)
        if fn is None:
            return
        try:
            fn(*self._args)
        finally:
            if self._once:
                self._end()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.cancel()

    def __repr__(self):
        state = "active" if self._event is not None else "done"
        return f"<park.Handle {state} {self._fn!r}>"


class Driver(_Handle):
    """The shared event loop that one idle parker at a time sleeps in.

    Made with its own libevent base. Parkers keep their driver alive, so
    closing it (or dropping it) while parkers exist is safe. Callbacks
    registered on it run inside the park of whichever thread holds it: with
    the GIL, one at a time. An exception from a callback ends that park and
    is raised from its ``park()``; the callbacks still due in the same loop
    iteration run in the next park. A callback that runs outside any
    Python park (on a :class:`park.Executor`'s worker) reports its
    exception to :func:`sys.unraisablehook` instead.
    """

    # _events: every registered Handle, which keeps it (and through it
    # its callback) alive while registered; the others index them.
    # _posted: (callback, args) from call_soon_threadsafe, not run yet,
    # which park.core's doorbells reach through a weak reference (here, the
    # garbage collector sees it); _forks: _forks when the queue was made (a
    # child's copy of the parent's queue is not its own).
    __slots__ = ("_events", "_readers", "_writers", "_signals", "_posted",
                 "_forks")

    def __init__(self):
        self._posted = deque()
        self._h = _core.Driver(self._posted)
        self._events, self._readers, self._writers, self._signals = (
            {}, {}, {}, {})
        self._forks = _forks

    def close(self):
        """Cancel every registered callback and release the driver. Its
        parkers keep working, and callbacks posted with
        :meth:`call_soon_threadsafe` still run in their parks. Returns
        None."""
        if self._h is not None:
            for handle in list(self._events):
                handle.cancel()
        self._h = None

    def __del__(self):
        # The last reference: no park can run the loop for this Driver any
        # more (its parkers hold it), so what was posted runs now, here,
        # as libpark runs a driver's posts when it is freed; the Driver is
        # closed first, so they cannot post again. At interpreter shutdown
        # nothing may run: it is dropped.
        queue = getattr(self, "_posted", None)
        posted = deque(queue or ())
        if queue:
            queue.clear()  # doorbells that ring now find nothing
        self._h = None
        if not posted or sys.is_finalizing() or self._forks != _forks:
            return
        while posted:
            fn, args = posted.popleft()
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - as __del__ would
                _core.unraisable(e, fn)

    def call_soon_threadsafe(self, callback, *args):
        """Call ``callback(*args)`` on the thread that runs the driver's
        loop: from any thread, it runs inside the next park that runs the
        loop (waking the thread asleep in it), in the order of the calls,
        once. An exception it raises is raised from that park, and the
        callbacks posted after it run in the next one. Raises RuntimeError
        once the driver is shut down (what was accepted before still runs).
        What has not run when the Driver object goes (its parkers hold it)
        runs then, in the thread that drops it, with exceptions reported
        as from ``__del__`` (and the Driver closed: they cannot post
        again); at interpreter shutdown it is dropped unrun. Returns
        None."""
        self._handle().post((_callback(callback), args))

    def reinit(self):
        """In a child made by :func:`os.fork`: make the driver usable in
        this process. Until then, anything that would use the kernel
        objects it shares with the parent raises OSError(ECHILD) in the
        child (a park that would sleep or poll, :meth:`call_soon_threadsafe`,
        :meth:`wake`, :meth:`shutdown`), and the parent is never affected.
        Callbacks registered before the fork stay registered and are served
        in this process too (cancel those it should not serve); but if a
        thread of the parent was parked in the driver at the fork, the
        driver gets a new event loop and they are cancelled. What was
        posted before the fork is the parent's, and is dropped here. Call
        it before other threads use the driver; in a process that has not
        forked since the driver was made, it does nothing. Returns
        None."""
        replaced = self._handle().reinit(self._forks != _forks)
        if self._forks != _forks:
            self._posted.clear()
            self._forks = _forks
        if replaced:
            for handle in list(self._events):
                handle._end(_core.Event.abandon)

    def wake(self):
        """Make the thread asleep in the driver's loop return from its
        park (``Wake.EVENTS | Wake.DRIVER``), whichever parker it is; if
        none is in it, the next blocking park that runs the loop returns at
        once (a poll, ``park(0)``, leaves the wake for it). From any thread.
        Returns None."""
        self._handle().wake()

    def shutdown(self):
        """Stop the driver: wake the thread parked in it (its park returns
        ``Wake.SHUTDOWN | Wake.DRIVER``); later parks sleep on their own
        sleepers, so registered callbacks no longer run. Unpark keeps
        working. Idempotent. Returns None."""
        self._handle().shutdown()

    @property
    def is_shutdown(self):
        """True once :meth:`shutdown` was called."""
        return self._handle().is_shutdown()

    def _add(self, name, fd, what, ns, fn, args, table=None, key=None,
             once=False):
        h = self._handle()
        _callback(fn)
        if h.is_shutdown():
            raise RuntimeError("the driver is shut down: its callbacks "
                               "would never run")
        handle = Handle.__new__(Handle)
        handle._driver = self
        handle._fn, handle._args = fn, args
        handle._table, handle._key, handle._once = table, key, once
        handle._event = _core.Event(h, fd, what, handle, Handle._fire)
        self._events[handle] = None
        try:
            handle._event.add(ns)
        except OSError as e:
            handle._end()
            raise ValueError(f"{name} cannot be watched: "
                             f"{os.strerror(e.errno)}") from None
        if table is not None:
            old = table.get(key)
            table[key] = handle
            if old is not None:
                old.cancel()
        return handle

    def call_later(self, delay, callback, *args):
        """Call ``callback(*args)`` once, ``delay`` seconds from now (by
        libevent's clock, which may be a few milliseconds coarse). Returns
        a :class:`Handle`."""
        ns = _seconds_ns(delay, "delay", _CENTURY_NS)
        return self._add("a timer", -1, _core.EV_TIMEOUT, ns, callback, args,
                         once=True)

    def call_repeatedly(self, interval, callback, *args):
        """Call ``callback(*args)`` every ``interval`` seconds (> 0) until
        cancelled. Returns a :class:`Handle`."""
        ns = _seconds_ns(interval, "interval", _CENTURY_NS)
        if ns == 0:
            raise ValueError("interval must be positive, not 0")
        return self._add("a timer", -1, _core.EV_PERSIST, ns, callback, args)

    def add_reader(self, fd, callback, *args):
        """Call ``callback(*args)`` whenever ``fd`` (a descriptor or an
        object with ``fileno()``) is readable; replaces an earlier reader
        of that fd. Remove it before closing the fd. Returns a
        :class:`Handle`."""
        fd = _open_fileno(fd)
        return self._add(f"fd {fd}", fd, _core.EV_READ | _core.EV_PERSIST, -1,
                         callback, args, self._readers, fd)

    def remove_reader(self, fd):
        """Cancel the reader of ``fd``. Returns whether there was one."""
        return self._remove(self._readers, _fileno(fd))

    def add_writer(self, fd, callback, *args):
        """Call ``callback(*args)`` whenever ``fd`` (a descriptor or an
        object with ``fileno()``) is writable; replaces an earlier writer
        of that fd. Returns a :class:`Handle`."""
        fd = _open_fileno(fd)
        return self._add(f"fd {fd}", fd, _core.EV_WRITE | _core.EV_PERSIST, -1,
                         callback, args, self._writers, fd)

    def remove_writer(self, fd):
        """Cancel the writer of ``fd``. Returns whether there was one."""
        return self._remove(self._writers, _fileno(fd))

    def add_signal_handler(self, signum, callback, *args):
        """Call ``callback(*args)`` when signal ``signum`` arrives, in the
        park of the thread holding the driver. The driver takes the signal
        over from the process until removed; a signal that has a handler
        from Python's ``signal`` module (SIGINT has one by default) is
        refused with RuntimeError, so the two never silently fight: set it
        to ``signal.SIG_DFL`` first. Returns a :class:`Handle`."""
        signum = _signum(signum)
        if _signal.getsignal(signum) not in (_signal.SIG_DFL,
                                             _signal.SIG_IGN):
            name = _signal.Signals(signum).name
            raise RuntimeError(
                f"{name} has a handler from the signal module; set it to "
                f"signal.SIG_DFL before the driver takes {name} over")
        return self._add(f"signal {signum}", signum, _core.EV_SIGNAL | _core.EV_PERSIST, -1,
                         callback, args, self._signals, signum)

    def remove_signal_handler(self, signum):
        """Cancel the handler of ``signum``; the signal's previous
        disposition returns. Returns whether there was one."""
        return self._remove(self._signals, _signum(signum))

    def _remove(self, table, key):
        handle = table.get(key)
        if handle is None:
            return False
        handle.cancel()
        return True

    def __repr__(self):
        if self._h is None:
            return "<park.Driver closed>"
        state = "shut down" if self._h.is_shutdown() else "running"
        return f"<park.Driver {state}, {len(self._events)} callbacks>"


class Parker(_OnDriver):
    """One thread's right to sleep until unparked.

    ``Parker(driver=None)``: a parker on ``driver``, or on a new private
    :class:`Driver` when none is given. Only one thread may park on a parker
    at a time; a second gets ``RuntimeError``.
    """

    __slots__ = ()

    def __init__(self, driver=None):
        if driver is None:
            driver = Driver()
        self._driver = _driver(driver, "a park.Driver or None")
        self._h = _core.Parker(driver._handle())

    @property
    def spin(self):
        """Seconds a park may spin before it sleeps, a float; 0.0 (the
        default) never spins. A park that finds no token and does not get
        the driver's loop watches for an unpark this long, burning its
        core, before it sleeps on its own sleeper: an unpark that comes
        meanwhile costs neither thread a system call. Never longer than
        the park's timeout, never before the driver's loop; a park counts
        in ``stats().parks_spin`` when it ended spinning. Worth it only
        when every spinning thread has a core of its own. Set it from any
        thread (kept to the nearest nanosecond); parks that start later
        use it. TypeError for a non-number, ValueError for a negative,
        NaN or infinite value or one past 2**63-1 nanoseconds."""
        return self._handle().spin() / _NS

    @spin.setter
    def spin(self, seconds):
        self._handle().set_spin(_spin_ns(seconds))

    def park(self, timeout=None):
        """Sleep until unparked, the timeout passes, or the driver served
        events. ``timeout`` is in seconds: None waits for ever, 0 polls the
        driver once without consuming a token or a pending
        :meth:`Driver.wake`. Returns a :class:`Wake`.
        Raises ValueError for a negative or NaN timeout, and whatever a
        driver callback run by this park raised; such a park is not
        counted, and a token it took waits for the next park. In the main
        thread a park sleeps in 50 ms slices (for Ctrl-C); a callback that
        runs at a slice's edge still ends it."""
        return _WAKES[self._handle().park(_timeout_ns(timeout), _in_main())]

    def park_until(self, deadline):
        """Like :meth:`park`, until ``deadline``, a :func:`time.monotonic`
        value. A deadline in the past still takes a pending token. Returns a
        :class:`Wake`."""
        h, ns = self._handle(), _deadline_ns(deadline)
        if ns is None:
            return _WAKES[h.park(-1, _in_main())]
        return _WAKES[h.park_until(ns, _in_main())]

    def close(self):
        """Release the parker: it leaves the :class:`IdleSet` it joined, if
        any, and is unusable afterwards. Returns None."""
        if self._h is not None:
            self._h.forget_idle()
        self._h = None

    def unparker(self):
        """Returns a new :class:`Unparker` for this parker, usable from any
        thread and valid after this parker is closed."""
        return Unparker._wrap(self._handle().unparker())

    def clone(self):
        """Returns a new :class:`Parker` with its own token and the same
        :attr:`spin`, on the same driver."""
        twin = Parker.__new__(Parker)
        twin._h = self._handle().clone()
        twin._driver = self._driver
        return twin

    def shutdown(self):
        """Shut down this parker's driver (see :meth:`Driver.shutdown`).
        Returns None."""
        self._handle().shutdown()

    def stats(self):
        """Returns the counters of this parker, as a :class:`Stats`. A park
        in progress is counted when it ends."""
        return Stats(*self._handle().counters())

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


class IdleSet(_OnDriver):
    """The parkers of one :class:`Driver` that wait for work, so that a
    producer can wake exactly one of them per job.

    ``IdleSet(driver)``: an empty set for the parkers of ``driver``.
    :meth:`unpark_one` prefers a parker asleep on its own sleeper (or not
    asleep yet) over the one asleep in the driver, so that the driver's
    callbacks keep being served while another worker takes the job; among
    the others, the one that joined last. Every worker follows one protocol,
    which keeps a job from being lost between "found no work" and "went to
    sleep"::

        while True:
            job = take_job()
            if job is None:
                idle.join(parker)           # idle from here on
                job = take_job()            # look once more
                if job is None:
                    idle.park(parker)       # parks, then leaves
                    continue
                idle.leave(parker)
            run(job)

    with the producer's ``put_job(job); idle.unpark_one()``. The work source
    must order the two sides, as a lock around the queue does (see
    libpark's park_idle_new(3)). A flag that tells workers to stop is work
    too: set it, then :meth:`unpark_all`.
    """

    __slots__ = ()

    def __init__(self, driver):
        self._driver = _driver(driver)
        self._h = _core.IdleSet(driver._handle())

    def _member(self, parker):
        if not isinstance(parker, Parker):
            raise TypeError(f"parker must be a park.Parker, "
                            f"not {type(parker).__name__}")
        h = parker._handle()
        if parker._driver is not self._driver:
            raise ValueError("the parker is not on this IdleSet's driver")
        return h

    def join(self, parker):
        """Make ``parker`` idle: :meth:`unpark_one` may pick it from now on.
        Then look at the work source again, and :meth:`park` or
        :meth:`leave`. Raises RuntimeError if it has joined a set and not
        left it. From the parker's own thread. Returns None."""
        self._handle().join(self._member(parker))

    def leave(self, parker):
        """Take ``parker`` out of the set without parking. Returns True if
        it was still idle, False if an unpark took it (its token waits: the
        next park returns at once). Raises ValueError if it is not in this
        set."""
        return self._handle().leave(self._member(parker)) == 1

    def park(self, parker, timeout=None):
        """Join unless joined, park as :meth:`Parker.park` does (``timeout``
        in seconds, None for none, 0 to poll), and leave, whatever ended the
        park. Returns a :class:`Wake`. Raises RuntimeError if the parker is
        in another set, and what :meth:`Parker.park` raises."""
        h, ph = self._handle(), self._member(parker)
        return _WAKES[h.park(ph, _timeout_ns(timeout), _in_main())]

    def unpark_one(self):
        """Wake exactly one idle parker. Returns whether there was one.
        From any thread; with nobody idle it costs one atomic load."""
        return self._handle().unpark_one() == 1

    def unpark_all(self):
        """Wake every idle parker. Returns how many. From any thread."""
        return self._handle().unpark_all()

    def count(self):
        """How many parkers are idle now (a snapshot). From any thread."""
        return self._handle().count()

    def notify(self):
        """Like :meth:`unpark_one`, but wake nobody while a parker that a
        notify woke is still searching (it will find the job): a job costs
        at most one wake, and a burst still fans out. Returns whether it
        woke one. From any thread; with nobody idle or someone searching
        it costs one atomic load."""
        return self._handle().notify() == 1

    def stop_searching(self, parker):
        """``parker`` found work (or stops looking): it stops searching,
        which it does too at its next join. Returns True if it was the last
        searcher: then it must look at the work source again and
        :meth:`notify` if work is left. From the parker's own thread."""
        return self._handle().stop_searching(self._member(parker)) == 1

    @property
    def searching(self):
        """How many parkers a notify woke are searching now (a
        snapshot)."""
        return self._handle().searching()

    def __len__(self):
        return self.count()

    def __repr__(self):
        if self._h is None:
            return "<park.IdleSet closed>"
        return f"<park.IdleSet {self._h.count()} idle>"


# Last: it needs Driver. A concurrent.futures executor on libpark's pool.
from .executor import Executor  # noqa: E402

Executor.__module__ = __name__
