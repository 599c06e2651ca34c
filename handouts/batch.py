"""Catalogue builds: many documents through a pool of long-lived workers.

Each worker process keeps one warm Pipeline (one FontConfiguration, compiled stylesheets,
Jinja environments) for its whole life. The main process decides what to build (input
hashes against the manifest), hands jobs to a concurrent.futures executor (a local
process pool, or a Dask cluster), and commits each finished PDF with its manifest entry
(outfolder.py), so that the manifest lists exactly the PDFs on disk whenever the process
ends. A write that fails (a full disk, a read-only folder) stops the batch: the next
documents could not be written either.

One document never stops the others: whatever fails while making it (a HandoutsError, a
bug, a MemoryError, an error inside WeasyPrint, a task the executor could not run) marks
that document failed and the batch goes on. A worker process that dies (killed, out of
memory, a native crash) breaks a local process pool for every task it holds: the document
that worker was making is marked failed, the pool is replaced by a new one from the same
warm fork server, and the documents not yet made are handed to it again (_Runner).
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import HandoutsError
from .fingerprint import input_hash, shared_inputs, versions
from .outfolder import OutputFolder, open_output, write_failed
from .output import Built, document_path, paper_of, sha256
from .uptodate import unchanged
from .worker_pool import LocalPool

if TYPE_CHECKING:
    from .compose import Job
    from .pipeline import Pipeline

_PIPELINES: dict[tuple[Path, ...], Pipeline] = {}
_rendered = 0
FULL_COLLECTION_EVERY = 100
# Long documents first, so that no worker is left alone with one at the end.
_COST = {"card-sheet": 0, "handout": 1, "card": 2}
# Documents handed to a worker at once. They share a language, so its fonts are loaded
# (and their subsetting tables built) in one worker rather than in every worker.
GROUP_SIZE = 4
TAIL_FRACTION = 4


def pipeline(template_dirs: tuple[Path, ...] = ()):
    """This process's warm pipeline for these template folders, built on first use.

    A clinic's folders get a pipeline of their own (templates, what documents may load,
    kept layouts) sharing the renderer, its fonts and stylesheets, of the bundled one,
    which a worker has had ready since before it forked (handouts/warm.py)."""
    if template_dirs not in _PIPELINES:
        from .pipeline import Pipeline

        shared = pipeline().renderer if template_dirs else None
        _PIPELINES[template_dirs] = Pipeline(list(template_dirs), shared)
    return _PIPELINES[template_dirs]


def render_job(job: Job, template_dirs: tuple[Path, ...]):
    """Runs in a worker: returns (pdf bytes, pages, notes, "") or (None, 0, (), error)."""
    return render_together([job], template_dirs)


def render_together(jobs: list[Job], template_dirs: tuple[Path, ...], keep_plain: bool = False):
    """Runs in a worker: like render_job, for several documents in one PDF (keep_plain:
    see Pipeline.render_together)."""
    try:
        rendered = pipeline(template_dirs).render_together(jobs, keep_plain)
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


def render_jobs(
    jobs: list[Job],
    template_dirs: tuple[Path, ...],
    keys: tuple[int, ...] = (),
    progress: str | None = None,
    debug: bool = False,
) -> list[tuple]:
    """Runs in a worker: render_job for each of a group of documents. Whatever a document
    raises is that document's failure, as a message (unexpected), not the group's.

    With a progress folder, the worker notes in it which document (of keys) it is making,
    so that the main process can tell which one it was if the worker dies (_Runner)."""
    results = []
    for job, key in zip(jobs, keys or [-1] * len(jobs), strict=True):
        _note_progress(progress, key)
        try:
            results.append(render_job(job, template_dirs))
        except Exception as error:  # noqa: BLE001 (one document's failure, reported)
            results.append((None, 0, (), unexpected(error, job, debug)))
        _note_progress(progress, -1)
    return results


def unexpected(error: BaseException, job: Job, debug: bool = False) -> str:
    """One line naming the error's type and the document, for an error that is not a
    HandoutsError (a bug, not bad input). Its text only when the job carries no patient
    details (a message may quote them), and the traceback only with --debug."""
    text = (str(error).strip().splitlines() or [""])[0][:300] if job.personal is None else ""
    message = f"unexpected {type(error).__name__} while making {job.name}" + (
        f": {text}" if text else ""
    )
    if not debug:
        return message + ". Run again with --debug to see the traceback, and please report it."
    if job.personal is not None:
        return message
    return message + "\n" + "".join(traceback.format_exception(error)).rstrip()


_progress_file: dict[str, int] = {}  # in a worker: its progress folder and file


def _note_progress(progress: str | None, key: int) -> None:
    """In a worker: write the key of the document it starts (-1: none) into PROGRESS/<pid>,
    in one write of fixed width, so that the file is whole whenever the worker dies."""
    if progress is None:
        return
    try:
        if progress not in _progress_file:
            for fd in _progress_file.values():
                os.close(fd)
            _progress_file.clear()
            _progress_file[progress] = os.open(
                os.path.join(progress, str(os.getpid())), os.O_WRONLY | os.O_CREAT, 0o600
            )
        os.pwrite(_progress_file[progress], b"%20d" % key, 0)
    except OSError:
        pass  # the batch has ended (its folder is gone): nobody is left to tell


@dataclass
class Outcome:
    job: Job
    status: str  # built | unchanged | failed
    path: str
    message: str = ""
    notes: tuple[str, ...] = ()


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    write_error: str = ""  # why the batch stopped writing (out of disk space...), if it did
    recovered: str = ""  # what was repaired in the output folder first (outfolder.recover)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


@contextmanager
def _stop_on_signals():
    """SIGTERM or Ctrl-C asks the batch to stop after the document in hand.

    The handler only raises a flag, so that no document is left between its two renames
    (outfolder.py) by this process's own choice.
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


# This process's warm pipelines (their kept layouts) and WeasyPrint are not made for
# threads: tasks run in this process one at a time, whatever thread submits them.
_IN_PROCESS = threading.RLock()


class InlineExecutor(Executor):
    """Runs each task at once in this process, one at a time: --jobs 1, `serve --workers 1`
    (each of the server's threads submits its requests), and the tests."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        with _IN_PROCESS:
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
            raise HandoutsError(
                "the Dask executor needs the dask extra: pip install 'handouts[dask]'"
            ) from None
        return DaskExecutor(Client("tcp://" + spec.removeprefix("dask://"), timeout="10s"))
    if spec not in (None, "local"):
        raise HandoutsError(f"unknown executor {spec!r}; use local or dask://HOST:PORT")
    if jobs == 1:
        return InlineExecutor()
    return LocalPool(jobs or os.cpu_count() or 1)


def run_batch(
    jobs: Iterable[Job],
    out_dir: Path,
    executor: Executor,
    *,
    force: bool = False,
    template_dirs: tuple[Path, ...] = (),
    debug: bool = False,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> BatchReport:
    """Builds what changed; every document ends built, unchanged or failed (debug: a failure
    that is not a HandoutsError carries its traceback)."""
    report = BatchReport()
    with open_output(out_dir) as folder:
        report.recovered = folder.recovered
        _run(report, folder, jobs, executor, force, template_dirs, debug, on_outcome)
    return report


def _run(
    report: BatchReport,
    folder: OutputFolder,
    jobs: Iterable[Job],
    executor: Executor,
    force: bool,
    template_dirs: tuple[Path, ...],
    debug: bool,
    on_outcome: Callable[[Outcome], None],
) -> None:
    shared = shared_inputs(template_dirs)
    to_build: list[tuple] = []
    for job in jobs:
        path = document_path(job)
        digest = input_hash(job, template_dirs, shared)
        if not force and unchanged(folder.path, folder.entries.get(path), digest):
            _record(report, Outcome(job, "unchanged", path), on_outcome)
        else:
            to_build.append((job, path, digest, len(to_build)))  # the last: its key
    with _stop_on_signals() as stop, _Runner(executor, template_dirs, stop, debug) as runner:
        for group in _groups(to_build):
            runner.submit(group)
        for finished in runner.finished():
            for (job, path, digest, _), result in finished:
                if stop["requested"]:
                    report.interrupted = True
                    break
                try:
                    _write(report, folder, job, path, digest, result, on_outcome)
                except OSError as error:
                    report.write_error = str(write_failed(folder.path, error, folder.written))
                    break
            if report.interrupted or report.write_error:
                break
        report.interrupted = report.interrupted or runner.interrupted


STOPPED = "the render process stopped (killed or crashed) while making it"
FRUITLESS_BREAKS = 3


@dataclass
class _Task:
    items: list[tuple]  # run_batch's (job, path, digest, key)
    pool: Executor


class _Runner:
    """Hands groups of documents to the executor and gives back, as each task finishes,
    its documents with their results: every document once, and a failure of any kind as a
    failed result, never as an exception.

    An exception out of a task (one the worker could not catch: its arguments or its result
    could not be pickled, a Dask worker was lost) fails its documents, after a group's have
    been tried again one by one, so that only the one at fault fails.

    A worker that dies breaks a local pool, and every task the pool held fails with
    BrokenProcessPool, not only the dead worker's. Each worker notes in a progress file
    which document it is making (render_jobs); when the pool has wound up, a worker that did
    not end by the pool's own SIGTERM is the one that died, and its document fails (STOPPED).
    Every other document not yet made goes to a new pool (LocalPool.renewed). When no
    worker is known to have died first (one stopped by SIGTERM, or no exit codes), the
    documents being made are suspects: each is tried again alone, nothing else running,
    and fails if it breaks a pool again. A pool that breaks FRUITLESS_BREAKS times in a row
    while no document was being made or got made (workers dying as they start) fails the
    documents left, rather than renewing it for ever.
    """

    def __init__(
        self, executor: Executor, template_dirs: tuple[Path, ...], stop: dict, debug: bool
    ):
        self.pool = executor
        self.template_dirs = template_dirs
        self.stop = stop
        self.debug = debug
        self.pending: dict[Future, _Task] = {}
        self.suspects: list[tuple] = []  # documents to try again alone
        self.suspected: set[int] = set()
        self.fruitless = 0
        self.interrupted = False
        self.renewed: list[Executor] = []  # pools made here, shut down here
        self.progress = (
            tempfile.mkdtemp(prefix="handouts-progress-")
            if isinstance(executor, ProcessPoolExecutor)
            else None
        )

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc) -> None:
        for future in self.pending:
            future.cancel()
        for pool in self.renewed:
            pool.shutdown(wait=True, cancel_futures=True)
        if self.progress:
            shutil.rmtree(self.progress, ignore_errors=True)

    def submit(self, items: list[tuple]) -> None:
        try:
            future = self.pool.submit(
                render_jobs,
                [item[0] for item in items],
                self.template_dirs,
                tuple(item[3] for item in items),
                self.progress,
                self.debug,
            )
        except Exception as error:  # noqa: BLE001 (a broken or closed pool, a lost cluster)
            future = Future()
            future.set_exception(error)  # handled as the task's own failure
        self.pending[future] = _Task(list(items), self.pool)

    def finished(self) -> Iterator[list[tuple[tuple, tuple]]]:
        while (self.pending or self.suspects) and not self.interrupted:
            if not self.pending:
                self.submit([self.suspects.pop(0)])
            for future in as_completed(list(self.pending)):
                task = self.pending.pop(future)
                try:
                    results = future.result()
                except BrokenProcessPool:
                    yield self._recover(task)
                    break  # tasks were handed out again: wait on them too
                except Exception as error:  # noqa: BLE001 (fails the task's documents)
                    if len(task.items) > 1:
                        for item in task.items:
                            self.submit([item])
                        break
                    item = task.items[0]
                    yield [(item, _failed(unexpected(error, item[0], self.debug)))]
                except KeyboardInterrupt:  # Ctrl-C reached the worker too
                    self.interrupted = True
                    return
                else:
                    self.fruitless = 0
                    yield list(zip(task.items, results, strict=True))

    def _recover(self, task: _Task) -> list[tuple[tuple, tuple]]:
        """After task's pool broke: fails the document a dead worker was making, hands the
        others of every task the pool held to a new pool; returns the failed documents."""
        broken = task.pool
        if isinstance(broken, LocalPool):
            exit_codes = broken.wind_up()
        else:
            broken.shutdown(wait=True)
            exit_codes = {}
        tasks = [task] + [
            self.pending.pop(future)
            for future in list(self.pending)
            if self.pending[future].pool is broken
            and future.done()
            and not future.cancelled()
            and isinstance(future.exception(), BrokenProcessPool)
        ]
        making = self._being_made()
        items = [item for t in tasks for item in t.items]
        in_hand = [item for item in items if item[3] in making]
        died: dict[int, int] = {}
        for item in in_hand:
            code = exit_codes.get(making[item[3]])
            if code is not None and code not in (0, -signal.SIGTERM):
                died[item[3]] = code
        failed, held = [], set()
        for item in in_hand:
            key = item[3]
            if key in died:
                failed.append((item, _failed(STOPPED + _ended(died[key]))))
            elif died:
                continue  # stopped by the pool, for another's death
            elif key in self.suspected:
                failed.append(
                    (item, _failed(STOPPED + ", twice (the second time with nothing else running)"))
                )
            else:
                self.suspected.add(key)
                self.suspects.append(item)
            held.add(key)
        self.fruitless = 0 if in_hand else self.fruitless + 1
        again = [[item for item in t.items if item[3] not in held] for t in tasks]
        again = [items for items in again if items]
        if self.stop["requested"]:
            self.interrupted = True
            return failed
        renew = getattr(broken, "renewed", None)
        why = (
            "not made: a render process stopped (killed or crashed) and broke the "
            "process pool, which cannot be replaced"
        )
        if renew is not None and self.fruitless >= FRUITLESS_BREAKS:
            renew, why = None, "not made: the render processes kept stopping (killed or crashed)"
        pool: Executor | None = None
        try:
            pool = renew() if renew else None
        except Exception as error:  # noqa: BLE001 (no new pool: what is left fails)
            why += f"; a new pool did not start ({type(error).__name__})"
        if pool is None:
            left = [item for items in again for item in items] + self.suspects
            self.suspects = []
            return failed + [(item, _failed(why)) for item in left]
        self.pool = pool
        self.renewed.append(pool)
        for items in again:
            self.submit(items)
        return failed

    def _being_made(self) -> dict[int, int]:
        """The key of the document each worker was making, to its process id, from the
        progress files; they are removed, as every worker of a broken pool has ended."""
        making: dict[int, int] = {}
        if self.progress is None:
            return making
        for entry in os.scandir(self.progress):
            try:
                key = int(Path(entry.path).read_bytes() or b"-1")
                os.unlink(entry.path)
                pid = int(entry.name)
            except (OSError, ValueError):
                continue
            if key >= 0:
                making[key] = pid
        return making


def _failed(message: str) -> tuple:
    return None, 0, (), message


def _ended(code: int) -> str:
    if code > 0:
        return f"; the process exited with status {code}"
    try:
        return f"; the process ended by {signal.Signals(-code).name}"
    except ValueError:
        return f"; the process ended by signal {-code}"


def _groups(to_build: list[tuple]) -> list[list[tuple]]:
    """Documents in groups of up to GROUP_SIZE that share a language, slow ones first, so
    that the last groups are quick ones and no worker waits long for another at the end.

    Slow means a longer kind of document, then a language set in two font families (its
    text runs through font fallback, and the CJK fonts are large). The last quarter of the
    groups is handed out one document at a time, longest first: a worker that finishes
    early takes the next one instead of idling while another renders a whole group.
    """
    from .languages import registry

    def cost(item) -> tuple[int, int]:
        lang = registry().languages.get(item[0].lang)
        return _COST.get(item[0].kind, 0), -len(lang.fonts if lang else ())

    by_language: dict[str, list[tuple]] = {}
    for item in sorted(to_build, key=cost):
        by_language.setdefault(item[0].lang, []).append(item)
    groups = [
        items[i : i + GROUP_SIZE]
        for items in by_language.values()
        for i in range(0, len(items), GROUP_SIZE)
    ]
    groups.sort(key=lambda group: cost(group[0]))
    head = groups[: len(groups) - len(groups) // TAIL_FRACTION]
    tail = sorted((item for group in groups[len(head) :] for item in group), key=cost)
    return head + [[item] for item in tail]


def _write(
    report: BatchReport,
    folder: OutputFolder,
    job: Job,
    path: str,
    digest: str,
    result,
    on_outcome,
) -> None:
    pdf, pages, notes, error = result
    if error:
        # A failed document must not leave an older copy to be printed.
        folder.remove(path)
        _record(report, Outcome(job, "failed", path, error), on_outcome)
        return
    built = Built(
        job.drug.id,
        job.lang,
        job.kind,
        paper_of(job),
        path,
        sha256(pdf),
        pages,
        input_hash=digest,
        made_by=versions(),
    )
    folder.commit(path, pdf, asdict(built))
    _record(report, Outcome(job, "built", path, notes=notes), on_outcome)


def _record(report: BatchReport, outcome: Outcome, on_outcome) -> None:
    report.outcomes.append(outcome)
    on_outcome(outcome)
