"""The local pool of render processes, and the one place that reads multiprocessing's
internals (each use is guarded by tests/test_worker_pool.py).

Workers fork from a server that has already built the pipeline (handouts/warm.py), so a
replacement worker, or a whole replacement pool, starts at once. Each worker also watches
the process that made the pool and leaves as soon as it is gone, however it ended: the
workers of a pool hold each other's pipes and the fork server's "alive" pipe open, so
without this a killed `serve` or `build` left them, the fork server and the resource
tracker running for good.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver

from .scratch import running

# Each worker is replaced after WORKER_TASKS tasks: a bound on whatever WeasyPrint's
# native libraries keep in a long-lived process (a few per cent over 500 renders, see
# scripts/benchmark.py).
WORKER_TASKS = 200
# A server's worker keeps the layouts it has made for personalized requests, and a new one
# starts without them: replaced less often, it stays fast (scripts/loadtest.py measures
# memory over a long run with this).
SERVER_WORKER_TASKS = 1000


def _leave_with(owner: int) -> None:
    """In a worker: exit at once when process OWNER has ended."""

    def watch() -> None:
        try:
            # A pidfd becomes readable when the process ends; no polling, no pid reuse.
            fd = os.pidfd_open(owner)
        except ProcessLookupError:
            os._exit(0)
        except OSError:  # no pidfd (an old kernel): ask once a second instead
            while running(owner):
                threading.Event().wait(1)
            os._exit(0)
        select.select([fd], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="handouts-owner-watch", daemon=True).start()


def restart_fork_server() -> None:
    """Start the fork server again if it has died (a no-op while it lives). A pool whose
    fork server is gone cannot replace a worker that reaches WORKER_TASKS."""
    forkserver.ensure_running()


def use_temp_folder(folder: str) -> None:
    """Put multiprocessing's own files (the fork server's socket) directly in FOLDER, not
    in a pymp-* folder of its own beneath it: a socket path may not exceed about 100
    bytes, and FOLDER is removed as a whole when the run ends."""
    multiprocessing.current_process()._config["tempdir"] = folder  # type: ignore[attr-defined]


def fork_server_pid() -> int | None:
    return getattr(forkserver._forkserver, "_forkserver_pid", None)


class LocalPool(ProcessPoolExecutor):
    """A pool of render workers; `renewed` makes a new one like it, to replace it when a
    worker has died and broken it. The fork server is started now, to warm up while the
    caller loads content."""

    def __init__(self, workers: int, tasks: int = WORKER_TASKS):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["handouts.warm"])
        restart_fork_server()
        super().__init__(
            max_workers=workers,
            mp_context=context,
            max_tasks_per_child=tasks,
            initializer=_leave_with,
            initargs=(os.getpid(),),
        )
        self.workers, self.tasks = workers, tasks

    def renewed(self) -> LocalPool:
        return LocalPool(self.workers, self.tasks)

    @property
    def broken(self) -> bool:
        """A worker died: every task the pool held has failed or will fail, and it takes
        no more (BrokenProcessPool)."""
        return bool(getattr(self, "_broken", False))

    def worker_pids(self) -> list[int]:
        return list(getattr(self, "_processes", None) or {})

    def workers_alive(self) -> bool:
        """Every worker started so far is still running (none yet is fine: they start on
        the first task)."""
        processes = dict(getattr(self, "_processes", None) or {})
        return all(process.is_alive() for process in processes.values())

    def kill_workers(self) -> None:
        """SIGKILL every worker (one stuck in native code ignores anything gentler); the
        pool is then broken, and wind_up returns."""
        for pid in self.worker_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wind_up(self) -> dict[int, int | None]:
        """Once broken: waits until every task it held has failed and every worker has
        ended, and returns each worker's exit code by process id. The standard library
        keeps the workers only in a private dict; without it no worker is known to have
        crashed, and batch._Runner finds the culprit by trying the suspects alone."""
        processes = dict(getattr(self, "_processes", None) or {})
        self.shutdown(wait=True)
        return {pid: process.exitcode for pid, process in processes.items()}
