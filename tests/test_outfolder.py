"""The output folder of `build` through what stops a build: a full disk, a read-only disk,
kill -9 at any moment, a second build at the same time. After each, the manifest lists
exactly the PDFs on disk (path and sha256) once the next build has taken the folder."""

import errno
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from handouts.batch import InlineExecutor, run_batch
from handouts.compose import Job
from handouts.documents import KINDS
from handouts.outfolder import JOURNAL, LOCK, open_output
from handouts.output import write_temp

from .conftest import REPOSITORY, in_mount_namespace, run_cli

LANGS = ("en", "es", "fr", "de")
BUILD = ["build", "blinatumomab", *(f"--lang={lang}" for lang in LANGS), "--jobs", "2"]
EVERY = {f"blinatumomab/{lang}/{kind}.pdf" for lang in LANGS for kind in KINDS}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listed(file: Path) -> dict[str, str]:
    return {e["path"]: e["sha256"] for e in json.loads(file.read_text())}


def _on_disk(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): _sha(p) for p in out.rglob("*.pdf")}


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob(".*") if p.name != LOCK)


def _assert_exact(out: Path) -> None:
    """The manifest lists every PDF on disk, each with its sha256, and nothing else; no
    temporary file or journal is left."""
    assert _listed(out / "manifest.json") == _on_disk(out)
    assert _leftovers(out) == []


# Run inside a user and mount namespace: a tmpfs too small for every document, and a
# read-only one. The checks run in there too (the mounts end with the namespace); each
# step leaves its output and a JSON account of the folder beside the test.
NAMESPACE_SCRIPT = r"""
mount -t tmpfs -o size=150k tmpfs "$FULL" || exit 77
mount -t tmpfs -o ro,size=64k tmpfs "$READONLY" || exit 77
step() {
    name=$1; out=$2; shift 2
    "$PYTHON" -m handouts "$@" --out "$out" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
    echo $? >"$LOGS/$name.rc"
    "$PYTHON" -c "$STATE" "$out" "$LOGS/$name.json"
}
step full "$FULL/out" $BUILD
mount -o remount,size=4m "$FULL"
step again "$FULL/out" $BUILD
step readonly "$READONLY/out" $BUILD
"""
STATE = r"""
import hashlib, json, pathlib, sys
out = pathlib.Path(sys.argv[1])
manifest = out / "manifest.json"
json.dump({
    "pdfs": {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in out.rglob("*.pdf")},
    "listed": {e["path"]: e["sha256"] for e in json.loads(manifest.read_text())}
              if manifest.exists() else None,
    "leftovers": sorted(p.name for p in out.rglob(".*") if p.name != ".build.lock"),
}, open(sys.argv[2], "w"))
"""


def test_a_full_disk_stops_the_build_with_one_message_and_a_rerun_builds_the_rest(tmp_path):
    full, readonly, logs = tmp_path / "full", tmp_path / "readonly", tmp_path / "logs"
    for folder in (full, readonly, logs):
        folder.mkdir()
    in_mount_namespace(
        NAMESPACE_SCRIPT,
        FULL=str(full),
        READONLY=str(readonly),
        LOGS=str(logs),
        STATE=STATE,
        BUILD=" ".join(BUILD),
    )

    def step(name):
        return (
            int((logs / f"{name}.rc").read_text()),
            (logs / f"{name}.out").read_text(),
            (logs / f"{name}.err").read_text(),
            json.loads((logs / f"{name}.json").read_text()),
        )

    # ~16 KB a card, ~55 KB a handout: some fit in 150 KB, not all eight.
    code, stdout, stderr, state = step("full")
    assert code == 1, stderr
    written = len(state["listed"])
    assert 1 <= written < len(EVERY)
    assert f"{written} documents: {written} built, 0 unchanged, 0 failed" in stdout
    assert stderr.splitlines()[-1].startswith(
        f"Error: out of disk space writing to {full}/out; this run wrote "
        f"{written} document{'s' * (written > 1)} ("
    )
    assert stderr.splitlines()[-1].endswith(
        "MB). Free some space, then run the same command again: the documents already "
        f"written are kept (listed in {full}/out/manifest.json) and the rest are built"
    )
    assert stderr.count("Error:") == 1
    assert "Traceback" not in stderr and "report it" not in stderr
    assert state["listed"] == state["pdfs"]
    assert state["leftovers"] == []

    code, stdout, stderr, state = step("again")
    assert code == 0, stderr
    assert f"8 documents: {8 - written} built, {written} unchanged, 0 failed" in stdout
    assert set(state["listed"]) == EVERY
    assert state["listed"] == state["pdfs"]
    assert state["leftovers"] == []

    code, stdout, stderr, state = step("readonly")
    assert code == 1
    assert stderr == (
        f"Error: cannot write to {readonly}/out: Read-only file system; this run wrote no "
        "documents. Check that this user may write there and that the disk is not read-only "
        "(or choose another --out), then run the same command again: the documents already "
        f"written are kept (listed in {readonly}/out/manifest.json) and the rest are built\n"
    )


def test_an_output_folder_that_cannot_be_made_is_one_message(tmp_path):
    (tmp_path / "file").write_text("not a folder\n")
    result = run_cli("build", "blinatumomab", "--lang", "en", "--out", tmp_path / "file/out")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"Error: cannot write to {tmp_path}/file/out: Not a directory; this run wrote no documents."
    )
    assert result.stderr.count("\n") == 1 and "report it" not in result.stderr
    assert (tmp_path / "file").read_text() == "not a folder\n"


def test_a_full_disk_when_the_manifest_is_written_keeps_the_folder_as_it_was(
    tmp_path, blinatumomab, monkeypatch
):
    # A disk that fills while the journal (the next manifest) is flushed, as a file system
    # that allocates on fsync reports it: the PDF written just before must go too.
    out = tmp_path / "out"
    journals = []
    flush = os.fsync

    def full_on_the_second_journal(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(JOURNAL):
            journals.append(fd)
            if len(journals) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        flush(fd)

    monkeypatch.setattr(os, "fsync", full_on_the_second_journal)
    jobs = [Job(blinatumomab, "en", kind) for kind in KINDS]
    report = run_batch(jobs, out, InlineExecutor())
    monkeypatch.undo()
    assert [o.status for o in report.outcomes] == ["built"]
    size = (out / report.outcomes[0].path).stat().st_size
    assert report.write_error.startswith(
        f"out of disk space writing to {out}; this run wrote 1 document ({size / 1e6:.1f} MB). "
        "Free some space, then run the same command again"
    )
    _assert_exact(out)
    assert set(_on_disk(out)) == {report.outcomes[0].path}


def _recoverable(out: Path) -> None:
    """Right after a kill: each listed file has the sha256 the manifest lists, or the one
    the journal (the next manifest, written before the renames) lists; each PDF on disk is
    listed by one of them with its sha256."""
    listed = _listed(out / "manifest.json") if (out / "manifest.json").exists() else {}
    try:
        pending = _listed(out / JOURNAL)
    except (OSError, ValueError):
        pending = {}  # none, or cut short by the kill: the renames never ran
    disk = _on_disk(out)
    for path, digest in listed.items():
        assert disk.get(path) in (digest, pending.get(path)), path
    for path, digest in disk.items():
        assert digest in (listed.get(path), pending.get(path)), path


@pytest.mark.slow
def test_kill_9_at_any_moment_leaves_a_folder_the_next_build_recovers(tmp_path):
    out = tmp_path / "out"
    # Each round kills a build once `written` of its PDFs are on disk. Letter, then A4
    # (every handout replaced by other bytes), then letter again.
    for paper, written in (("letter", 1), ("a4", 2), ("letter", 5)):
        start = time.time_ns()
        build = subprocess.Popen(
            [sys.executable, "-m", "handouts", *BUILD, "--paper", paper, "--out", str(out)],
            cwd=REPOSITORY,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and build.poll() is None:
                new = [p for p in out.rglob("*.pdf") if p.stat().st_mtime_ns >= start]
                if len(new) >= written:
                    break
                time.sleep(0.002)
            build.send_signal(signal.SIGKILL)
        finally:
            build.wait(timeout=30)
        assert build.returncode == -signal.SIGKILL, f"the {paper} build ended before the kill"
        _recoverable(out)

        with open_output(out) as folder:  # what the next build does first
            kept = folder.entries
        _assert_exact(out)
        ours = {p for p in kept if (out / p).stat().st_mtime_ns >= start}
        assert len(ours) >= written  # the last one too, if it was between its renames

        result = run_cli(*BUILD, "--paper", paper, "--out", out)
        assert result.returncode == 0, result.stderr
        unchanged = int(re.search(r"(\d+) unchanged", result.stdout)[1])
        assert unchanged >= len(ours)  # what the killed build finished is kept
        assert "8 documents:" in result.stdout and " 0 failed" in result.stdout
        _assert_exact(out)
        entries = {e["path"]: e for e in json.loads((out / "manifest.json").read_text())}
        assert set(entries) == EVERY
        for path, entry in entries.items():
            assert len(PdfReader(out / path).pages) == entry["pages"]


@pytest.fixture
def built(tmp_path, blinatumomab):
    """A folder with blinatumomab's English handout and card, built in this process."""
    out = tmp_path / "out"
    report = run_batch([Job(blinatumomab, "en", kind) for kind in KINDS], out, InlineExecutor())
    assert not report.failed
    return out


CARD = "blinatumomab/en/card.pdf"


def _new_card(out: Path) -> tuple[bytes, dict]:
    """Other bytes for the card (a comment after its end, which readers ignore), and the
    manifest entry saying so."""
    pdf = (out / CARD).read_bytes() + b"%another build\n"
    entry = {e["path"]: e for e in json.loads((out / "manifest.json").read_text())}[CARD]
    return pdf, {**entry, "sha256": hashlib.sha256(pdf).hexdigest()}


class Killed(BaseException):
    """Stands for kill -9: nothing of the process's own cleanup runs after it."""


def test_a_build_stopped_between_its_two_renames_is_finished_by_the_next(built, monkeypatch):
    pdf, entry = _new_card(built)
    old = _listed(built / "manifest.json")
    rename = os.replace

    def stop_before_the_manifest(source, target):
        if Path(target).name == "manifest.json":
            raise Killed
        rename(source, target)

    monkeypatch.setattr(os, "replace", stop_before_the_manifest)
    with pytest.raises(Killed), open_output(built) as folder:
        folder.commit(CARD, pdf, entry)
    monkeypatch.undo()
    assert (built / CARD).read_bytes() == pdf  # the new PDF, the old manifest
    assert _listed(built / "manifest.json") == old
    assert _listed(built / JOURNAL)[CARD] == entry["sha256"]
    _recoverable(built)

    with open_output(built) as folder:
        assert folder.recovered.endswith("1 document finished from the journal")
    _assert_exact(built)
    assert _listed(built / "manifest.json")[CARD] == entry["sha256"]


def test_a_build_stopped_before_its_renames_is_rolled_back_by_the_next(built):
    pdf, entry = _new_card(built)
    old = _listed(built / "manifest.json")
    old_card = (built / CARD).read_bytes()
    # Everything written, nothing renamed: the new PDF's temporary file and the journal;
    # the second time, a journal cut short by the kill.
    for cut in (None, 100):
        temp = write_temp(built / CARD, pdf)
        journal = json.loads((built / "manifest.json").read_text())
        journal = [entry if e["path"] == CARD else e for e in journal]
        (built / JOURNAL).write_bytes(json.dumps(journal).encode()[:cut])
        _recoverable(built)
        with open_output(built) as folder:
            assert folder.recovered.endswith("1 temporary file removed")
        _assert_exact(built)
        assert _listed(built / "manifest.json") == old
        assert (built / CARD).read_bytes() == old_card
        assert not temp.exists()


def test_recovery_drops_what_the_disk_does_not_back_and_removes_only_our_files(built):
    (built / "blinatumomab/en/handout.pdf").unlink()  # removed by hand
    (built / CARD).write_bytes((built / CARD).read_bytes() + b"%edited\n")  # changed by hand
    (built / "blinatumomab/es").mkdir()
    (built / "blinatumomab/es/card.pdf").write_bytes(b"%PDF-1.7 half a document")
    (built / "blinatumomab/es/.handout.pdf.x1y2z3.tmp").write_bytes(b"%PDF")
    (built / ".manifest.json.a1b2c3.tmp").write_bytes(b"[")
    foreign = ["notes.txt", "card.pdf", "x/y/other.pdf", "x/y/.other.pdf.a1.tmp", "a/b/c/card.pdf"]
    for name in foreign:
        (built / name).parent.mkdir(parents=True, exist_ok=True)
        (built / name).write_bytes(b"the user's")

    with open_output(built) as folder:
        assert folder.recovered.endswith(
            "2 manifest entries dropped (file missing or changed); 2 PDFs the manifest did "
            "not list removed; 2 temporary files removed"
        )
    assert _listed(built / "manifest.json") == {}
    assert sorted(p for p in _on_disk(built) if p.startswith("blinatumomab/")) == []
    for name in foreign:
        assert (built / name).read_bytes() == b"the user's"


def test_a_folder_no_build_has_written_keeps_its_pdfs(tmp_path):
    out = tmp_path / "out"
    (out / "blinatumomab/en").mkdir(parents=True)
    (out / CARD).write_bytes(b"%PDF-1.7 someone's")
    with open_output(out) as folder:
        assert folder.entries == {} and folder.recovered == ""
    assert (out / CARD).read_bytes() == b"%PDF-1.7 someone's"
    assert not (out / "manifest.json").exists()


def test_the_next_build_removes_temporary_files_even_with_nothing_to_build(tmp_path):
    out = tmp_path / "out"
    card = ["build", "blinatumomab", "--lang", "en", "--kind", "card", "--out", out]
    assert run_cli(*card).returncode == 0
    left = [out / "blinatumomab/en/.card.pdf.k2j4h5.tmp", out / ".manifest.json.q8w7e6.tmp"]
    for file in left:
        file.write_bytes(b"%PDF-1.7 cut short")
    (out / JOURNAL).write_bytes(b'[{"path": "blinatumomab/en/ca')

    result = run_cli(*card)
    assert result.returncode == 0, result.stderr
    assert "1 document: 0 built, 1 unchanged, 0 failed" in result.stdout
    assert result.stderr == (
        f"Note: repaired {out} before building (a build stopped part-way, or files changed "
        "since): 2 temporary files removed\n"
    )
    _assert_exact(out)
    assert set(_on_disk(out)) == {CARD}


def test_a_second_build_into_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    card = ["build", "blinatumomab", "--lang", "en", "--kind", "card", "--out", out]
    assert run_cli(*card).returncode == 0
    before = (out / "manifest.json").read_bytes()
    with open_output(out):  # a build in another process holds the folder
        for args in (card, [*card, "--force"]):
            result = run_cli(*args)
            assert result.returncode == 1
            assert result.stderr == (
                f"Error: another build is writing to {out}; wait for it to finish or use "
                "another --out\n"
            )
    assert (out / "manifest.json").read_bytes() == before
    assert "0 built, 1 unchanged" in run_cli(*card).stdout  # free again once it is done
