"""The web server's render workers: self-healing, bounded, and honest about their health.

Each worker is a pool of its own (one process, forked from the warm fork server). A
request goes to the worker that makes documents of its drug and language (affinity), so
that each worker keeps the layouts of half the catalogue rather than all of it churning
through both (measured: a third less time per request on a ward's mix), unless that
worker has more waiting than another, which then takes it.

A worker that dies (killed, out of memory, a native crash in the text libraries) breaks
its pool for good: every later task fails. Here the broken pool is replaced by a new one
(a few tens of milliseconds), once per incident whoever notices first, and the request
the death interrupted is tried once more; the other workers go on undisturbed. A
watchdog replaces a broken pool and restarts a dead fork server even when no request is
running, so the next request does not pay for it.

The number of renders waiting or running is bounded: beyond it a request is refused at
once (Busy, a 503 with Retry-After) rather than queued behind work that cannot finish in
time. Work for a client that has hung up is dropped while it still waits.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
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
# A document takes a second or two at most; one not done this long after it was handed
# to its worker (waiting behind another included) is stuck (a loop in a native library):
# its worker is killed and replaced, the request refused.
RENDER_SECONDS = 60.0


class Busy(Exception):
    """As many renders as allowed are waiting or running: come back shortly."""


class Unavailable(Exception):
    """The render processes stopped twice while making this document, or it took too
    long (the message says which)."""


class ClientGone(Exception):
    """The client hung up while its document waited: nobody is left to print it."""


class RenderService:
    def __init__(
        self,
        make_pool: Callable[[], Executor],
        capacity: int,
        workers: int = 1,
        deadline: float = RENDER_SECONDS,
    ):
        """make_pool: a new pool (of one process, when there are several workers)."""
        self._make_pool = make_pool
        self.deadline = deadline
        self._pools = [make_pool() for _ in range(workers)]
        self._load = [0] * workers  # requests waiting for or on each pool
        self._lock = threading.Lock()  # _load, _waiting
        self._swap = threading.Lock()
        self.capacity = capacity
        self._waiting = 0
        self.ready = False  # set once the workers are warm
        self.incidents = 0
        self._last_success = 0.0
        self._probe: tuple[Callable, tuple] | None = None
        self._probing = threading.Lock()
        self._closed = threading.Event()
        if any(isinstance(pool, LocalPool) for pool in self._pools):
            threading.Thread(target=self._watch, name="handouts-render-watch", daemon=True).start()

    def render(
        self,
        fn: Callable,
        *args: Any,
        gone: Callable[[], bool] = lambda: False,
        affinity: str = "",
    ) -> Any:
        """fn(*args) on a worker, the one for AFFINITY if it is not busier than another.
        Raises Busy, Unavailable or ClientGone."""
        with self._lock:
            if self._waiting >= self.capacity:
                raise Busy
            self._waiting += 1
            index = self._choose(affinity)
            self._load[index] += 1
        try:
            return self._render(index, fn, args, gone)
        finally:
            with self._lock:
                self._waiting -= 1
                self._load[index] -= 1

    def _choose(self, affinity: str) -> int:
        preferred = zlib.crc32(affinity.encode()) % len(self._pools)
        least = min(range(len(self._pools)), key=self._load.__getitem__)
        return preferred if self._load[preferred] <= self._load[least] + 1 else least

    def _render(self, index: int, fn: Callable, args: tuple, gone: Callable[[], bool]) -> Any:
        interrupted = 0
        for _ in range(5):  # a pool replaced meanwhile is not this request's failure
            if gone():
                raise ClientGone
            pool = self._pools[index]
            try:
                future = pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down by a swap
                self._replace(index, pool)
                continue
            try:
                result = self._wait(future, gone, time.monotonic() + self.deadline)
            except TimeoutError:
                self._stop(index, pool)
                raise Unavailable(
                    f"the document took longer than {self.deadline:.0f} s and was stopped; "
                    "try again, and tell the service's operator if it happens again"
                ) from None
            except BrokenProcessPool:
                interrupted += 1
                self._replace(index, pool)
                if interrupted == 2:
                    break
                continue
            self._last_success = time.monotonic()
            return result
        raise Unavailable

    @staticmethod
    def _wait(future: Future, gone: Callable[[], bool], deadline: float) -> Any:
        """The future's result; ClientGone, or TimeoutError after DEADLINE."""
        while True:
            try:
                return future.result(timeout=0.25)
            except TimeoutError:
                if gone():
                    future.cancel()  # dropped if it still waits; a running one finishes
                    raise ClientGone from None
                if time.monotonic() > deadline:
                    raise

    def _stop(self, index: int, pool: Executor) -> None:
        """Kill the worker of pool INDEX (stuck on a document) and replace it; what
        else waited on it is tried again on the new one."""
        log.warning(
            "a document took longer than %.0f s; its render process is stopped", self.deadline
        )
        if isinstance(pool, LocalPool):
            pool.kill_workers()
        self._replace(index, pool)

    def _replace(self, index: int, broken: Executor) -> None:
        """Replace pool INDEX if it is still BROKEN: one new pool and one log line per
        incident, however many requests notice it."""
        with self._swap:
            if broken is not self._pools[index] or self._closed.is_set():
                return
            start = time.monotonic()
            if isinstance(broken, LocalPool):
                codes = broken.wind_up()
            else:
                codes = {}
                broken.shutdown(wait=False, cancel_futures=True)
            self._pools[index] = self._make_pool()
            self.incidents += 1
            log.warning(
                "a render process stopped (%s); replaced in %.0f ms",
                _describe(codes),
                (time.monotonic() - start) * 1000,
            )

    def _broken(self) -> list[int]:
        return [
            index
            for index, pool in enumerate(self._pools)
            if isinstance(pool, LocalPool) and pool.broken
        ]

    def _watch(self) -> None:
        server = fork_server_pid()
        while not self._closed.wait(WATCH_SECONDS):
            for index in self._broken():
                self._replace(index, self._pools[index])
            try:
                restart_fork_server()
            except OSError:  # tried again at the next round
                log.warning("the fork server could not be started again; retrying")
                continue
            if fork_server_pid() != server:
                log.warning("the fork server stopped; started again")
                server = fork_server_pid()

    def warm_up(self, probe: Callable, args: tuple) -> None:
        """Render PROBE once on every worker, then take traffic; /healthz renders PROBE
        when no document has finished lately. Runs while the server already answers
        (/readyz says "starting")."""
        self._probe = (probe, args)
        for index in range(len(self._pools)):
            try:
                result = self._render(index, probe, args, lambda: False)
            except Unavailable:
                log.error("the render workers stopped while warming up; /healthz answers 503")
                return
            if result[3]:
                log.error("the test document failed to render: %s", result[3])
                return  # not ready: /healthz and /readyz answer 503 with the reason
        self.ready = True
        log.info("render workers ready")

    def health(self) -> tuple[bool, str]:
        """(can a document be rendered now, why not)."""
        if not self.ready:
            return False, "starting: the render workers are warming up"
        if self._broken():
            return False, "a render process stopped; it is being replaced"
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
        if self._broken():
            return False, "a render process stopped; it is being replaced"
        return True, "ready"

    def load(self) -> dict[str, int]:
        return {"renders": self._waiting, "limit": self.capacity, "incidents": self.incidents}

    def shutdown(self) -> None:
        self._closed.set()
        with self._swap:
            for pool in self._pools:
                pool.shutdown(wait=True, cancel_futures=True)


def _describe(codes: dict[int, int | None]) -> str:
    ended = [code for code in codes.values() if code not in (None, 0, -15)]
    if not ended:
        return "cause unknown"
    code = ended[0]
    return f"exit status {code}" if code > 0 else f"ended by signal {-code}"
