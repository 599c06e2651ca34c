"""The web server's render workers: self-healing, bounded, and honest about their health.

A render worker that dies (killed, out of memory, a native crash in the text libraries)
breaks a process pool for good: every later task fails. Here the broken pool is replaced
by a new one forked from the same warm server (a few hundred milliseconds), once per
incident whoever notices first, and the request the death interrupted is tried once
more on the new pool. A watchdog replaces a broken pool and restarts a dead fork server
even when no request is running, so the next request does not pay for it.

The number of renders waiting or running is bounded: beyond it a request is refused at
once (Busy, a 503 with Retry-After) rather than queued behind work that cannot finish in
time. Work for a client that has hung up is dropped while it still waits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .worker_pool import LocalPool, fork_server_pid, restart_fork_server

log = logging.getLogger("handouts.render")
# /healthz trusts a document finished this recently; otherwise it renders one itself.
FRESH_SECONDS = 5.0
PROBE_TIMEOUT = 20.0
WATCH_SECONDS = 0.5


class Busy(Exception):
    """As many renders as allowed are waiting or running: come back shortly."""


class Unavailable(Exception):
    """The render processes stopped twice while making this document."""


class ClientGone(Exception):
    """The client hung up while its document waited: nobody is left to print it."""


class RenderService:
    def __init__(self, make_pool: Callable[[], Executor], capacity: int):
        self._make_pool = make_pool
        self._pool = make_pool()
        self._swap = threading.Lock()
        self._slots = threading.BoundedSemaphore(capacity)
        self.capacity = capacity
        self._waiting = 0
        self._count = threading.Lock()
        self.ready = False  # set once the workers are warm
        self.incidents = 0
        self._last_success = 0.0
        self._probe: tuple[Callable, tuple] | None = None
        self._probing = threading.Lock()
        self._closed = threading.Event()
        if isinstance(self._pool, LocalPool):
            threading.Thread(target=self._watch, name="handouts-render-watch", daemon=True).start()

    def render(self, fn: Callable, *args: Any, gone: Callable[[], bool] = lambda: False) -> Any:
        """fn(*args) on a worker. Raises Busy, Unavailable or ClientGone."""
        if not self._slots.acquire(blocking=False):
            raise Busy
        with self._count:
            self._waiting += 1
        try:
            return self._render(fn, args, gone)
        finally:
            with self._count:
                self._waiting -= 1
            self._slots.release()

    def _render(self, fn: Callable, args: tuple, gone: Callable[[], bool]) -> Any:
        interrupted = 0
        for _ in range(5):  # a pool replaced meanwhile is not this request's failure
            if gone():
                raise ClientGone
            pool = self._pool
            try:
                future = pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down by a swap
                self._replace(pool)
                continue
            try:
                result = self._wait(future, gone)
            except BrokenProcessPool:
                interrupted += 1
                self._replace(pool)
                if interrupted == 2:
                    break
                continue
            self._last_success = time.monotonic()
            return result
        raise Unavailable

    @staticmethod
    def _wait(future: Future, gone: Callable[[], bool]) -> Any:
        while True:
            try:
                return future.result(timeout=0.25)
            except TimeoutError:
                if gone():
                    future.cancel()  # dropped if it still waits; a running one finishes
                    raise ClientGone from None

    def _replace(self, broken: Executor) -> None:
        """Replace the pool if it is still BROKEN's: one new pool and one log line per
        incident, however many requests notice it."""
        with self._swap:
            if broken is not self._pool or self._closed.is_set():
                return
            start = time.monotonic()
            codes = broken.wind_up() if isinstance(broken, LocalPool) else {}
            if not isinstance(broken, LocalPool):
                broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._make_pool()
            self.incidents += 1
            log.warning(
                "a render process stopped (%s); render pool replaced in %.0f ms",
                _describe(codes),
                (time.monotonic() - start) * 1000,
            )

    def _watch(self) -> None:
        server = fork_server_pid()
        while not self._closed.wait(WATCH_SECONDS):
            pool = self._pool
            if isinstance(pool, LocalPool) and pool.broken:
                self._replace(pool)
            try:
                restart_fork_server()
            except OSError:  # tried again at the next round
                log.warning("the fork server could not be started again; retrying")
                continue
            if fork_server_pid() != server:
                log.warning("the fork server stopped; started again")
                server = fork_server_pid()

    def warm_up(self, probe: Callable, args: tuple, workers: int) -> None:
        """Render PROBE once in every worker, then take traffic; /healthz renders PROBE
        when no document has finished lately. Runs while the server already answers
        (/readyz says "starting")."""
        self._probe = (probe, args)
        for _ in range(2):
            pool = self._pool
            try:
                results = [f.result() for f in [pool.submit(probe, *args) for _ in range(workers)]]
            except (BrokenProcessPool, RuntimeError):
                self._replace(pool)
                continue
            if any(result[3] for result in results):
                log.error("the test document failed to render: %s", results[0][3])
                return  # not ready: /healthz and /readyz answer 503 with the reason
            self._last_success = time.monotonic()
            self.ready = True
            log.info("render workers ready")
            return
        log.error("the render workers stopped while warming up; /healthz answers 503")

    def health(self) -> tuple[bool, str]:
        """(can a document be rendered now, why not)."""
        if not self.ready:
            return False, "starting: the render workers are warming up"
        pool = self._pool
        if isinstance(pool, LocalPool) and pool.broken:
            return False, "a render process stopped; the workers are being replaced"
        if time.monotonic() - self._last_success < FRESH_SECONDS or self._probe is None:
            return True, "ok"
        with self._probing:  # one probe at a time; the others share its answer
            if time.monotonic() - self._last_success < FRESH_SECONDS:
                return True, "ok"
            fn, args = self._probe
            started = time.monotonic()
            try:
                result = self.render(
                    fn, *args, gone=lambda: time.monotonic() - started > PROBE_TIMEOUT
                )
            except Busy:
                return False, "overloaded: no document has finished lately"
            except (Unavailable, ClientGone):
                return False, "a test document could not be rendered in time"
            if not result or result[3]:
                return False, "a test document failed to render"
            return True, "ok"

    def readiness(self) -> tuple[bool, str]:
        """(should a load balancer send requests here now, why not)."""
        if not self.ready:
            return False, "starting: the render workers are warming up"
        if self._waiting >= self.capacity:
            return False, "busy: the render queue is full"
        pool = self._pool
        if isinstance(pool, LocalPool) and pool.broken:
            return False, "a render process stopped; the workers are being replaced"
        return True, "ready"

    def load(self) -> dict[str, int]:
        return {"renders": self._waiting, "limit": self.capacity, "incidents": self.incidents}

    def shutdown(self) -> None:
        self._closed.set()
        with self._swap:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _describe(codes: dict[int, int | None]) -> str:
    ended = [code for code in codes.values() if code not in (None, 0, -15)]
    if not ended:
        return "cause unknown"
    code = ended[0]
    return f"exit status {code}" if code > 0 else f"ended by signal {-code}"
