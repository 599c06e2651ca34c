"""Catalogue builds: many documents through a pool of long-lived workers.

Each worker process keeps one warm Pipeline (one FontConfiguration, compiled stylesheets,
Jinja environments) for its whole life. The main process decides what to build (input
hashes against the manifest), hands jobs to a concurrent.futures executor (a local
process pool, or a Dask cluster), and writes each finished PDF atomically, updating the
manifest after every document so that it always matches the files on disk.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import forkserver
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import HandoutsError
from .fingerprint import input_hash, shared_inputs
from .output import (Built, document_path, paper_of, prune_manifest, read_manifest, sha256,
                     update_manifest, write_atomic)
from .uptodate import unchanged

if TYPE_CHECKING:
    from .compose import Job

_PIPELINES = {}
_rendered = 0
FULL_COLLECTION_EVERY = 100
WORKER_TASKS = 200
# Long documents first, so that no worker is left alone with one at the end.
_COST = {"card-sheet": 0, "handout": 1, "card": 2}
# Documents handed to a worker at once. They share a language, so its fonts are loaded
# (and their subsetting tables built) in one worker rather than in every worker.
GROUP_SIZE = 4
TAIL_FRACTION = 4


def pipeline(template_dirs: tuple[Path, ...] = ()):
    """This process's warm pipeline for these template folders, built on first use."""
    if template_dirs not in _PIPELINES:
        from .pipeline import Pipeline
        _PIPELINES[template_dirs] = Pipeline(list(template_dirs))
    return _PIPELINES[template_dirs]


def render_job(job: Job, template_dirs: tuple[Path, ...]):
    """Runs in a worker: returns (pdf bytes, pages, notes, "") or (None, 0, (), error)."""
    return render_together([job], template_dirs)


def render_together(jobs: list[Job], template_dirs: tuple[Path, ...]):
    """Runs in a worker: like render_job, for several documents in one PDF."""
    try:
        rendered = pipeline(template_dirs).render_together(jobs)
    except HandoutsError as error:
        return None, 0, (), str(error)
    finally:
        _collect_garbage()
    return rendered.pdf, rendered.pages, rendered.notes, ""


def _collect_garbage() -> None:
    """In a render worker, where automatic collection is off (handouts/warm.py): free what
    the last document left in reference cycles (a few MB) between documents, and the older
    objects every FULL_COLLECTION_EVERY documents."""
    global _rendered
    if gc.isenabled():
        return
    _rendered += 1
    gc.collect() if _rendered % FULL_COLLECTION_EVERY == 0 else gc.collect(1)


def render_jobs(jobs: list[Job], template_dirs: tuple[Path, ...]) -> list[tuple]:
    """Runs in a worker: render_job for each of a group of documents."""
    return [render_job(job, template_dirs) for job in jobs]


@dataclass
class Outcome:
    job: Job
    status: str                  # built | unchanged | failed
    path: str
    message: str = ""
    notes: tuple[str, ...] = ()


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


@contextmanager
def _stop_on_signals():
    """SIGTERM or Ctrl-C asks the batch to stop after the document in hand.

    The handler only raises a flag: a PDF and its manifest entry are always written
    together, so the manifest matches the disk whenever the process ends.
    """
    stop = {"requested": False}

    def handler(signum, frame):
        stop["requested"] = True

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class InlineExecutor(Executor):
    """Runs each task at once in this process: --jobs 1, and the tests."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller through the future
            future.set_exception(error)
        return future


class DaskExecutor(Executor):
    """A Dask cluster through its concurrent.futures interface; closes the client on
    shutdown."""

    def __init__(self, client):
        self.client = client
        self.executor = client.get_executor()

    def submit(self, fn, /, *args, **kwargs):
        return self.executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.executor.shutdown(wait=wait)
        self.client.close()


def make_executor(spec: str | None, jobs: int | None) -> Executor:
    """A local process pool, or ``dask://host:port`` for a Dask distributed cluster."""
    if spec and spec.startswith("dask://"):
        try:
            from distributed import Client
        except ImportError:
            raise HandoutsError("the Dask executor needs the dask extra: "
                                "pip install 'handouts[dask]'") from None
        return DaskExecutor(Client("tcp://" + spec.removeprefix("dask://"), timeout="10s"))
    if spec not in (None, "local"):
        raise HandoutsError(f"unknown executor {spec!r}; use local or dask://HOST:PORT")
    if jobs == 1:
        return InlineExecutor()
    # Each worker is replaced after WORKER_TASKS tasks: a bound on whatever WeasyPrint's
    # native libraries keep in a long-lived process (a few per cent over 500 renders, see
    # scripts/benchmark.py). Workers fork from a server that has already built the pipeline
    # (handouts/warm.py), so a replacement starts at once. The server is started now, to
    # warm up while the caller loads content.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["handouts.warm"])
    forkserver.ensure_running()
    return ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1, mp_context=context,
                               max_tasks_per_child=WORKER_TASKS)


def run_batch(jobs: Iterable[Job], out_dir: Path, executor: Executor, *, force: bool = False,
              template_dirs: tuple[Path, ...] = (),
              on_outcome: Callable[[Outcome], None] = lambda outcome: None) -> BatchReport:
    report = BatchReport()
    manifest = read_manifest(out_dir)
    shared = shared_inputs(template_dirs)
    to_build = []
    for job in jobs:
        path = document_path(job)
        digest = input_hash(job, template_dirs, shared)
        if not force and unchanged(out_dir, manifest.get(path), digest):
            _record(report, Outcome(job, "unchanged", path), on_outcome)
        else:
            to_build.append((job, path, digest))
    pending = {}
    with _stop_on_signals() as stop:
        for group in _groups(to_build):
            future = executor.submit(render_jobs, [job for job, _, _ in group], template_dirs)
            pending[future] = group
        for future in as_completed(list(pending)):
            group = pending.pop(future)
            for (job, path, digest), result in zip(group, future.result()):
                if stop["requested"]:
                    report.interrupted = True
                    break
                _write(report, out_dir, job, path, digest, result, on_outcome)
            if report.interrupted:
                break
        for future in pending:
            future.cancel()
    return report


def _groups(to_build: list[tuple]) -> list[list[tuple]]:
    """Documents in groups of up to GROUP_SIZE that share a language, slow ones first, so
    that the last groups are quick ones and no worker waits long for another at the end.

    Slow means a longer kind of document, then a language set in two font families (its
    text runs through font fallback, and the CJK fonts are large). The last quarter of the
    groups is handed out one document at a time, longest first: a worker that finishes
    early takes the next one instead of idling while another renders a whole group.
    """
    from .fonts import STACKS

    def cost(item) -> tuple[int, int]:
        return _COST.get(item[0].kind, 0), -len(STACKS.get(item[0].lang, ()))

    by_language = {}
    for item in sorted(to_build, key=cost):
        by_language.setdefault(item[0].lang, []).append(item)
    groups = [items[i:i + GROUP_SIZE] for items in by_language.values()
              for i in range(0, len(items), GROUP_SIZE)]
    groups.sort(key=lambda group: cost(group[0]))
    head = groups[:len(groups) - len(groups) // TAIL_FRACTION]
    tail = sorted((item for group in groups[len(head):] for item in group), key=cost)
    return head + [[item] for item in tail]


def _write(report: BatchReport, out_dir: Path, job: Job, path: str, digest: str, result,
           on_outcome) -> None:
    pdf, pages, notes, error = result
    if error:
        # A failed document must not leave an older copy to be printed.
        (out_dir / path).unlink(missing_ok=True)
        prune_manifest(out_dir)
        _record(report, Outcome(job, "failed", path, error), on_outcome)
        return
    write_atomic(out_dir / path, pdf)
    update_manifest(out_dir, [Built(job.drug.id, job.lang, job.kind, paper_of(job), path,
                                    sha256(pdf), pages, input_hash=digest)])
    _record(report, Outcome(job, "built", path, notes=notes), on_outcome)


def _record(report: BatchReport, outcome: Outcome, on_outcome) -> None:
    report.outcomes.append(outcome)
    on_outcome(outcome)


def warm_up(executor: Executor, drug, workers: int | None) -> None:
    """Render one small document in every worker, so the first request is fast."""
    from .compose import Job
    job = Job(drug, "en", "card")
    futures = [executor.submit(render_job, job, ()) for _ in range(workers or os.cpu_count() or 1)]
    for future in futures:
        future.result()
