"""A build's output folder: one build at a time, and a manifest that lists exactly the PDFs
on disk, whatever stops the build (a full disk, a crash, kill -9).

A document is committed in two steps. First every write that can fail: the PDF into a
temporary file beside its final name, and the whole new manifest into the journal
(OUT/.manifest.json.pending), both flushed to the disk. Then two renames, which need no
space: the PDF to its name, the journal to manifest.json. A failed write leaves the
folder as it was (its temporary file removed). A process killed between the two renames
(a window of one system call) leaves the new PDF with the old manifest and the journal
listing it; the next build, on taking the folder, rolls each document forward or back to
whichever of the journal's and the manifest's entries its file matches (recover).

Kept free of heavy imports: the no-change fast path of `build` takes the folder too.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .documents import ALL_KINDS
from .errors import HandoutsError
from .fingerprint import file_digest
from .locations import display_path, plural
from .output import MANIFEST, write_temp

JOURNAL = ".manifest.json.pending"
LOCK = ".build.lock"
# What a build writes under OUT: <drug>/<lang>/<kind>[-options].pdf, and the temporary
# files of write_temp. Nothing else in the folder is ever removed.
_KIND = "|".join(re.escape(kind) for kind in ALL_KINDS)
DOCUMENT = re.compile(rf"[^/.][^/]*/[^/.][^/]*/(?:{_KIND})(?:-[a-z0-9-]+)?\.pdf")
_TEMP = re.compile(
    rf"\.(?:(?:{_KIND})(?:-[a-z0-9-]+)?\.pdf|index\.html|site\.css)\.[^/]+\.tmp"
)  # a document's, or a web edition page's (site.py)
_MANIFEST_TEMP = re.compile(r"\.manifest\.json\.[^/]+\.tmp")


class OutputError(HandoutsError):
    """The output folder cannot be written (full, read-only, not ours to write, in use)."""


@dataclass
class OutputFolder:
    path: Path
    entries: dict[str, dict]  # the manifest, by document path: each file is on disk
    recovered: str = ""  # what recover() repaired, for the user; "" when nothing
    written: list[int] = field(default_factory=list)  # bytes of each PDF committed

    def commit(self, relative: str, pdf: bytes, entry: dict) -> None:
        """Writes the PDF under OUT/relative and its manifest entry, together."""
        target = self.path / relative
        temp = write_temp(target, pdf)
        entries = {**self.entries, relative: entry}
        try:
            _write_journal(self.path, entries)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        # From here on nothing is written: the renames cannot run out of space.
        try:
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            (self.path / JOURNAL).unlink(missing_ok=True)
            raise
        os.replace(self.path / JOURNAL, self.path / MANIFEST)
        _sync_folder(target.parent)
        _sync_folder(self.path)
        self.entries = entries
        self.written.append(len(pdf))

    def remove(self, relative: str) -> None:
        """Removes OUT/relative and its manifest entry: a document that failed must not
        leave an older copy to be printed. The PDF goes first, which frees space for the
        manifest; a process stopped in between leaves an entry without its file, which the
        next recovery drops."""
        (self.path / relative).unlink(missing_ok=True)
        if relative in self.entries:
            entries = {path: e for path, e in self.entries.items() if path != relative}
            _replace_manifest(self.path, entries)
            self.entries = entries


@contextmanager
def open_output(out_dir: Path) -> Iterator[OutputFolder]:
    """The folder, created if need be, locked for this build and recovered (see recover).

    The lock is flock(2) on OUT/.build.lock: the kernel releases it when the process ends,
    however it ends, so a killed build never leaves the folder locked."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise write_failed(out_dir, error) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"another build is writing to {display_path(out_dir)}; wait for it to "
                "finish or use another --out"
            ) from None
        try:
            folder = recover(out_dir)
        except OSError as error:
            raise write_failed(out_dir, error) from None
        yield folder
    finally:
        if created and [p.name for p in out_dir.iterdir()] == [LOCK]:
            # A build that wrote nothing (its content was refused) leaves no trace.
            (out_dir / LOCK).unlink()
            out_dir.rmdir()
        os.close(lock)  # releases the lock


def recover(out_dir: Path) -> OutputFolder:
    """Brings the folder back to a manifest that lists exactly its PDFs, after whatever
    stopped the last build, and returns it. Run only under the folder's lock.

    Each document keeps the journal's entry, else the manifest's, whose sha256 its file
    has (rolled forward, or back); an entry whose file is missing or matches neither is
    dropped. Then a PDF of ours that no entry lists (half a document from an older
    version, a file changed since) is removed, as are temporary files left by a killed
    build. In a folder without a manifest or a journal (not a build's yet) no PDF is
    removed."""
    manifest, journal = _entries(out_dir / MANIFEST), _entries(out_dir / JOURNAL)
    ours = manifest is not None or journal is not None
    manifest, journal = manifest or {}, journal or {}
    kept: dict[str, dict] = {}
    forward = 0
    for path in sorted(set(manifest) | set(journal)):
        file = out_dir / path
        # Read once per process: the up-to-date check reads the same files (file_digest
        # keeps each by its size and time).
        digest = file_digest(file) if DOCUMENT.fullmatch(path) and file.is_file() else ""
        if digest and journal.get(path, {}).get("sha256") == digest:
            kept[path] = journal[path]
            forward += journal[path] != manifest.get(path)
        elif digest and manifest.get(path, {}).get("sha256") == digest:
            kept[path] = manifest[path]
    dropped = sum(1 for path in manifest if path not in kept)
    unlisted = temps = 0
    for file in out_dir.glob("*/*/*"):
        relative = file.relative_to(out_dir).as_posix()
        if ours and DOCUMENT.fullmatch(relative) and relative not in kept and file.is_file():
            file.unlink()
            unlisted += 1
        elif _TEMP.fullmatch(file.name):
            file.unlink()
            temps += 1
    for pattern in (".*.tmp", "*/*/*/.*.tmp"):  # the web edition's index and versions
        for file in out_dir.glob(pattern):
            if _TEMP.fullmatch(file.name):
                file.unlink()
                temps += 1
    for file in out_dir.glob(".manifest.json.*.tmp"):
        if _MANIFEST_TEMP.fullmatch(file.name):
            file.unlink()
            temps += 1
    if kept != manifest or (out_dir / JOURNAL).exists():
        _replace_manifest(out_dir, kept)
    repairs = [
        f"{plural(forward, 'document')} finished from the journal" if forward else "",
        f"{plural(dropped, 'manifest entry', 'manifest entries')} dropped (file missing or changed)"
        if dropped
        else "",
        f"{plural(unlisted, 'PDF')} the manifest did not list removed" if unlisted else "",
        f"{plural(temps, 'temporary file')} removed" if temps else "",
    ]
    repaired = "; ".join(part for part in repairs if part)
    return OutputFolder(
        out_dir,
        kept,
        f"repaired {display_path(out_dir)} before building (a build stopped part-way, or "
        f"files changed since): {repaired}"
        if repaired
        else "",
    )


def write_failed(
    out_dir: Path, error: OSError, written: Sequence[int] = (), done: str = ""
) -> OutputError:
    """One message for an error writing the output folder: what happened, where, what this
    run wrote (done, else the documents of `written`), and what to do."""
    where = display_path(out_dir)
    done = done or (
        f"this run wrote {plural(len(written), 'document')} ({sum(written) / 1e6:.1f} MB)"
        if written
        else "this run wrote no documents"
    )
    again = (
        "then run the same command again: the documents already written are kept (listed "
        f"in {display_path(out_dir / MANIFEST)}) and the rest are built"
    )
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "out of disk space" if error.errno == errno.ENOSPC else "over the disk quota"
        return OutputError(f"{what} writing to {where}; {done}. Free some space, {again}")
    reason = error.strerror or type(error).__name__
    return OutputError(
        f"cannot write to {where}: {reason}; {done}. Check that this user may write there and "
        f"that the disk is not read-only (or choose another --out), {again}"
    )


def _entries(file: Path) -> dict[str, dict] | None:
    """A manifest's entries by path: None when there is no such file, {} when it cannot be
    read as one (a journal cut short by a kill: its renames never happened)."""
    try:
        data = json.loads(file.read_bytes())
    except FileNotFoundError:
        return None
    except ValueError:
        return {}
    if not isinstance(data, list):
        return {}
    return {
        e["path"]: e
        for e in data
        if isinstance(e, dict) and isinstance(e.get("path"), str) and "sha256" in e
    }


def _write_journal(out_dir: Path, entries: dict[str, dict]) -> None:
    """The whole manifest into OUT/.manifest.json.pending, flushed to the disk; nothing of
    it is left if that fails."""
    data = (json.dumps([entries[path] for path in sorted(entries)], indent=2) + "\n").encode()
    journal = out_dir / JOURNAL
    try:
        with open(journal, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        journal.unlink(missing_ok=True)
        raise


def _replace_manifest(out_dir: Path, entries: dict[str, dict]) -> None:
    """manifest.json replaced by ENTRIES, through the journal."""
    _write_journal(out_dir, entries)
    os.replace(out_dir / JOURNAL, out_dir / MANIFEST)


def _sync_folder(folder: Path) -> None:
    """Makes the renames in folder last through a power cut, not only a kill."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
