"""park.Executor: a concurrent.futures executor on libpark's worker pool.

The workers are C threads of a park_pool (bindings/python/pool.c). Each
takes the GIL once for a run of queued calls, not once per call, and an idle
one sleeps in the Driver's loop and runs its callbacks.
"""

import concurrent.futures as _cf
import os
import sys
import threading
import weakref

from . import core as _core

# The C pool's limit (PARK_POOL_MAX_WORKERS).
_MAX_WORKERS = 1024

# Set at interpreter exit, once the live executors were shut down; and how
# many forks this process descends through (an executor's threads exist in
# the process that made it only).
_exiting = False
_forks = 0
_live = weakref.WeakSet()
# The core pools of executors dropped while their workers still ran: the
# exit hook waits for them too, as for live executors.
_draining = set()
_Future = _cf.Future


def _after_fork_in_child():
    global _forks
    _forks += 1
    # The parent's, whose threads are not here: nothing to wait for.
    _draining.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _exit_hook():
    # As concurrent.futures does: queued calls run, and the workers leave,
    # before the interpreter tears down what they would need.
    global _exiting
    _exiting = True
    for executor in list(_live):
        if executor._forks == _forks:
            executor.shutdown(wait=True)
    for pool in list(_draining):
        pool.shutdown(False, True)
        _draining.discard(pool)


def _reap():
    # Forgets the dropped executors' pools whose workers have left.
    for pool in list(_draining):
        if pool.shutdown(False, False) == 0:
            _draining.discard(pool)


if hasattr(threading, "_register_atexit"):  # 3.9: before threads are joined
    threading._register_atexit(_exit_hook)
else:
    import atexit
    atexit.register(_exit_hook)


def _run(future, fn, args, kwargs):
    # On a worker, with the GIL: one queued call.
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the future carries it
        future.set_exception(exc)
        # The traceback refers to this frame: no cycle through it.
        del exc
    else:
        future.set_result(result)


def _cancel(future, fn, args, kwargs):
    # A call that shutdown(cancel_futures=True) took before it started:
    # cancelled, and whoever waits in concurrent.futures.wait() is told.
    if future.cancel():
        future.set_running_or_notify_cancel()


def _max_workers(value):
    if value is None:
        return min(32, (os.cpu_count() or 1) + 4)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_workers must be an int or None, "
                        f"not {type(value).__name__}")
    if not 0 < value <= _MAX_WORKERS:
        raise ValueError(f"max_workers must be from 1 to {_MAX_WORKERS}, "
                         f"not {value}")
    return value


def _start_hook(prefix, initializer, initargs):
    """What each worker calls with its index as it starts, or None."""
    if not isinstance(prefix, str):
        raise TypeError(f"thread_name_prefix must be a str, "
                        f"not {type(prefix).__name__}")
    if initializer is not None and not callable(initializer):
        raise TypeError(f"initializer must be callable or None, "
                        f"not {type(initializer).__name__}")
    if not prefix and initializer is None:
        return None
    initargs = tuple(initargs)

    def start(index):
        if prefix:
            threading.current_thread().name = f"{prefix}_{index}"
        if initializer is not None:
            initializer(*initargs)
    return start


class Executor(_cf.Executor):
    """A :class:`concurrent.futures.Executor` whose workers are libpark's
    C threads; its futures are :class:`concurrent.futures.Future`, so
    :func:`concurrent.futures.wait` and
    :func:`~concurrent.futures.as_completed` work.

    ``Executor(max_workers=None, driver=None, *, thread_name_prefix='',
    initializer=None, initargs=())``: ``max_workers`` threads (1 to 1024;
    None: ``min(32, os.cpu_count() + 4)``, as ``ThreadPoolExecutor``), all
    started before the constructor returns. With a ``thread_name_prefix``,
    worker i is named ``f"{prefix}_{i}"`` (``threading.current_thread()``
    in it, so in logging too). Each calls ``initializer(*initargs)`` first
    if given; an exception from it comes out of the constructor (the
    first, if several raised), with no executor made, where
    ``ThreadPoolExecutor`` would break later. An idle worker sleeps in
    ``driver``'s loop (a :class:`park.Driver`; None: a new one, see
    :attr:`driver`) and runs its callbacks (``call_later``,
    ``add_reader``, ...) while the program only waits on futures; a busy
    one serves them between calls at least every millisecond or so. Such a
    callback runs outside any park, so an exception it raises goes to
    :func:`sys.unraisablehook`.

    A worker takes the GIL once for a run of queued calls and keeps it
    between them, so tiny calls cost no GIL hand-off each. Calls start in
    the order submitted. An executor dropped without :meth:`shutdown`
    runs what was queued, then its workers leave; at interpreter exit every
    live executor is shut down with ``wait=True``, and the calls queued on
    dropped ones run too (a call that never returns then keeps the process
    from exiting, as with ``ThreadPoolExecutor``). In a child made by :func:`os.fork` the
    executor's threads do not exist: :meth:`submit` and :meth:`shutdown`
    raise RuntimeError there; make a new executor in the child.
    """

    def __init__(self, max_workers=None, driver=None, *,
                 thread_name_prefix="", initializer=None, initargs=()):
        from . import Driver
        workers = _max_workers(max_workers)
        init = _start_hook(thread_name_prefix, initializer, initargs)
        if driver is None:
            driver = Driver()
        elif not isinstance(driver, Driver):
            raise TypeError(f"driver must be a park.Driver or None, "
                            f"not {type(driver).__name__}")
        self._shutdown = False
        self._forks = _forks
        self._driver = driver
        if _draining and _forks == self._forks:
            _reap()
        self._max_workers = workers
        self._pool = _core.Pool(driver._handle(), workers, _run, _cancel,
                                init)
        self._submit = self._pool.submit
        _live.add(self)

    @property
    def driver(self):
        """The :class:`park.Driver` whose callbacks the idle workers run.
        After :meth:`shutdown` no worker runs them any more."""
        return self._driver

    @property
    def max_workers(self):
        """The number of worker threads."""
        return self._max_workers

    def _check_process(self):
        if self._forks != _forks:
            raise RuntimeError("this park.Executor was made before os.fork(): "
                               "its threads are in the parent process; make "
                               "a new one in the child")

    def submit(self, fn, /, *args, **kwargs):
        """Schedule ``fn(*args, **kwargs)`` and return its
        :class:`concurrent.futures.Future`. From any thread, calls and
        driver callbacks of this executor included. Raises TypeError for a
        non-callable ``fn`` and RuntimeError after :meth:`shutdown`, at
        interpreter exit, and in a forked child."""
        if self._shutdown or _exiting or self._forks != _forks:
            self._refuse()
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        future = _Future()
        try:
            self._submit((future, fn, args, kwargs))
        except RuntimeError:  # a shutdown in another thread came first
            raise RuntimeError("cannot schedule new futures after "
                               "shutdown") from None
        return future

    def _refuse(self):
        self._check_process()
        if _exiting:
            raise RuntimeError("cannot schedule new futures after "
                               "interpreter shutdown")
        raise RuntimeError("cannot schedule new futures after shutdown")

    def shutdown(self, wait=True, *, cancel_futures=False):
        """Refuse new calls; with ``cancel_futures``, cancel those not
        started (each exactly once); with ``wait``, return once every call
        started has ended and the workers have left. Ctrl-C interrupts the
        wait (KeyboardInterrupt; calling again waits again). Called from
        one of this executor's own calls or from a driver callback that a
        worker runs, it never waits (a thread cannot wait for itself): the
        remaining calls end in the background. Calling it again is
        harmless. Returns None."""
        self._check_process()
        self._shutdown = True
        self._pool.shutdown(bool(cancel_futures), bool(wait))

    def __del__(self):
        # Dropped: what was queued still runs, then the workers leave;
        # until they have, the exit hook must know of the pool.
        pool = getattr(self, "_pool", None)
        if pool is None or self._forks != _forks or sys.is_finalizing():
            return
        if pool.shutdown(False, False) != 0:
            _draining.add(pool)

    def __repr__(self):
        state = "shut down" if self._shutdown else "running"
        return f"<park.Executor {state}, {self._max_workers} workers>"
