"""The sweep's worker processes: started quietly, stopped together, gone with their parent."""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.process import BaseProcess

STOP_SIGNALS = tuple(
    getattr(signal, s) for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s)
)
"""Signals that stop a sweep: Ctrl-C, kill, and the terminal closing."""
GRACE_SECONDS = 5.0
"""How long stopped workers have to record their trials as failed before they are killed."""
RESTOP_SECONDS = 10.0
"""A stop that Python swallowed is raised again after this long, and the worker ended after as
long again. Python cannot propagate an exception out of a weakref callback or a __del__: a
signal that lands while one runs (a module lock collected during an import, say) is printed as
"Exception ignored" and the worker trains on with its stop signals ignored, holding its
parent's pipes after a kill -9 (seen once in a CI run, the test waiting 60 s in vain)."""


class Interrupted(KeyboardInterrupt):
    """A worker stopped by a signal: Optuna fails its trial, the worker exits 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def start_worker(parent: int) -> None:
    """First thing in a worker: stop signals raise Interrupted, the worker dies with its
    parent, and the signals blocked by signals_held while it started are let through."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, interrupt)
    die_with_parent(parent)
    if hasattr(signal, "pthread_sigmask"):  # blocked by signals_held
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def interrupt(signum: int, frame: object) -> None:
    for stop in STOP_SIGNALS:  # one stop: a second signal must not cut short the trial's FAIL
        signal.signal(stop, _ignore)
    threading.Thread(target=_stop_again, args=(signum,), daemon=True).start()
    raise Interrupted(signum)


_restop = threading.Event()


def _ignore(signum: int, frame: object) -> None:
    """A signal after the first. Not SIG_IGN: Python reports a signal already pending then.

    Raises Interrupted when _stop_again found the first stop swallowed."""
    if _restop.is_set():
        raise Interrupted(signum)


def _stop_again(signum: int) -> None:
    """Still running RESTOP_SECONDS after a stop: raise it in the main thread once more, then
    end the process. A worker whose stop went through has exited long before (os._exit)."""
    time.sleep(RESTOP_SECONDS)
    _restop.set()
    _thread.interrupt_main(signal.Signals(signum))
    time.sleep(RESTOP_SECONDS)
    os._exit(128 + signum)


def die_with_parent(parent: int) -> None:
    """Have Linux send this worker SIGTERM when the sweep's process dies, kill -9 included.

    The kernel does it at once, where polling os.getppid() between runs would leave a worker
    training on for up to a whole fold. Elsewhere a no-op: the parent's own stop remains.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl, so no signal will come
        raise Interrupted(signal.SIGTERM)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Block the stop signals while workers start. Each worker inherits the block and lifts it
    once its handlers are in place, so a Ctrl-C during its start-up is quiet too; this process
    receives a signal that came meanwhile when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # starting it later would unblock SIGINT and SIGTERM
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def stop(procs: list[BaseProcess]) -> None:
    """End the workers still running: SIGTERM, then SIGKILL for those not gone within the grace."""
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    try:
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:  # a second Ctrl-C or signal: kill them now
        pass
    for proc in procs:
        if proc.is_alive():
            proc.kill()
        proc.join()
