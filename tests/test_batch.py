"""Catalogue builds: isolation of failures (errors of every kind, dead workers), atomic
output under SIGTERM, incremental rebuilds, and the Dask executor."""

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from handouts.batch import STOPPED, InlineExecutor, _groups, make_executor, run_batch
from handouts.catalogs import available_languages
from handouts.compose import Job, Personal
from handouts.documents import KINDS
from handouts.languages import LANGUAGES, language
from handouts.locations import CONTENT_DIR

from .conftest import FIXTURES, REPOSITORY, edit_field, run_cli
from .fixtures.faults import Kill, Raise
from .processes import table


@pytest.fixture
def content(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    return folder


def _manifest(out):
    return {entry["path"]: entry for entry in json.loads((out / "manifest.json").read_text())}


def _pdfs_on_disk(out):
    return {p.relative_to(out).as_posix() for p in out.rglob("*.pdf")}


def test_one_broken_drug_fails_alone(content, tmp_path):
    # testdrug's English has a character no bundled font has: all its documents fail.
    shutil.copytree(FIXTURES / "valid" / "testdrug", content / "testdrug")
    path = content / "testdrug" / "drug.yaml"
    path.write_text(path.read_text().replace("Pretend rash", "Pretend rash \U0001f9a0"))
    out = tmp_path / "out"
    result = run_cli(
        "build", "--all", "--lang", "en", "--jobs", "2", "--content", content, "--out", out
    )
    assert result.returncode == 1
    assert "FAILED testdrug/en/handout:" in result.stderr and "U+1F9A0" in result.stderr
    assert "FAILED testdrug/en/card:" in result.stderr
    assert "6 documents: 4 built, 0 unchanged, 2 failed" in result.stdout
    assert _pdfs_on_disk(out) == {
        f"{d}/en/{k}.pdf" for d in ("blinatumomab", "inotuzumab-ozogamicin") for k in KINDS
    }
    assert set(_manifest(out)) == _pdfs_on_disk(out)


def _jobs(drugs, langs=("en", "es")):
    return [Job(d, lang, kind) for d in drugs for lang in langs for kind in KINDS]


def _with_fault(jobs, name, fault):
    """The jobs, the one named `name` (drug/lang/kind) carrying a fault (fixtures/faults.py)."""
    assert name in {job.name for job in jobs}
    return [dataclasses.replace(job, reserve=fault) if job.name == name else job for job in jobs]


def _assert_built_but(report, out, failed: str):
    assert [o.job.name for o in report.failed] == [failed]
    assert report.count("built") == len(report.outcomes) - 1
    assert (
        set(_manifest(out))
        == _pdfs_on_disk(out)
        == {o.path for o in report.outcomes if o.status == "built"}
    )


def test_an_unexpected_error_fails_only_its_document(tmp_path, drugs):
    # A bug, not bad input: a RuntimeError out of the pipeline while making one document.
    out = tmp_path / "out"
    jobs = _jobs(drugs[:1])
    assert not run_batch(jobs, out, InlineExecutor()).failed
    report = run_batch(
        _with_fault(jobs, "blinatumomab/es/card", Raise("no such place")),
        out,
        InlineExecutor(),
        force=True,
    )
    _assert_built_but(report, out, "blinatumomab/es/card")
    assert report.failed[0].message == (
        "unexpected RuntimeError while making blinatumomab/es/card: no such place. Run "
        "again with --debug to see the traceback, and please report it."
    )
    assert not (out / "blinatumomab/es/card.pdf").exists()  # the old copy is gone


def test_an_unexpected_error_shows_a_traceback_only_with_debug_and_never_patient_data(
    tmp_path, drugs
):
    jobs = _with_fault(_jobs(drugs[:1], ("en",)), "blinatumomab/en/card", Raise("boom"))
    report = run_batch(jobs, tmp_path / "debug", InlineExecutor(), debug=True)
    first, *rest = report.failed[0].message.splitlines()
    assert first == "unexpected RuntimeError while making blinatumomab/en/card: boom"
    assert rest[0].startswith("Traceback") and rest[-1] == "RuntimeError: boom"

    # A document with a patient's details: the error's text may quote them, so only its type.
    class Failing(Personal):
        def filled(self):
            raise RuntimeError(f"cannot fill in {self.patient_name}")

    jobs = [
        dataclasses.replace(job, personal=Failing("Jane Q. Doe", "Dr. Who", "555-0100"))
        if job.kind == "card"
        else job
        for job in _jobs(drugs[:1], ("en",))
    ]
    for debug in (False, True):
        report = run_batch(jobs, tmp_path / f"personal-{debug}", InlineExecutor(), debug=debug)
        message = report.failed[0].message
        assert message.startswith("unexpected RuntimeError while making blinatumomab/en/card")
        assert "Jane" not in message and "\n" not in message


def test_a_task_the_pool_cannot_send_fails_only_its_document(tmp_path, drugs):
    # Its job cannot be pickled: the error comes out of future.result(), for the whole group
    # of four; the group is tried again one by one, and only that document fails.
    out = tmp_path / "out"
    jobs = _with_fault(_jobs(drugs), "inotuzumab-ozogamicin/es/card", (lambda: 0,))
    assert max(len(group) for group in _groups([(job, None, None) for job in jobs])) == 4
    with make_executor("local", 2) as pool:
        report = run_batch(jobs, out, pool)
    _assert_built_but(report, out, "inotuzumab-ozogamicin/es/card")
    message = report.failed[0].message
    assert message.startswith("unexpected ") and "inotuzumab-ozogamicin/es/card" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("fault", "ending"),
    [
        (Kill(signal.SIGKILL), "; the process ended by SIGKILL"),
        (Kill(status=3), "; the process exited with status 3"),
        (Kill(signal.SIGTERM), ", twice (the second time with nothing else running)"),
    ],
    ids=["SIGKILL", "exit", "SIGTERM"],
)
def test_a_worker_that_dies_fails_only_the_document_it_was_making(tmp_path, drugs, fault, ending):
    # The worker making one document of a group of four dies, which breaks the pool for
    # every task. That document fails; a new pool makes the other seven. A worker stopped
    # by SIGTERM looks like the others the broken pool stops: then the documents being made
    # are tried again alone, and the one that kills its worker again fails.
    out = tmp_path / "out"
    jobs = _with_fault(_jobs(drugs), "inotuzumab-ozogamicin/es/card", fault)
    with make_executor("local", 2) as pool:
        report = run_batch(jobs, out, pool)
    _assert_built_but(report, out, "inotuzumab-ozogamicin/es/card")
    assert report.failed[0].message == STOPPED + ending


def _kill_a_busy_worker(build: subprocess.Popen, out: Path) -> int:
    """Once a few documents are written, SIGKILL a render worker (a child of the fork
    server, itself a child of the build) while it is running, that is making a document."""
    deadline = time.monotonic() + 120
    manifest = out / "manifest.json"
    while time.monotonic() < deadline and build.poll() is None:
        if manifest.exists() and len(json.loads(manifest.read_text() or "[]")) >= 4:
            break
        time.sleep(0.01)
    # Not at once: a worker has just finished a group then, and is between two documents.
    time.sleep(0.2)
    while time.monotonic() < deadline and build.poll() is None:
        processes = table()
        workers = [
            pid
            for pid, (parent, state) in processes.items()
            if state == "R" and processes.get(parent, (0,))[0] == build.pid
        ]
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            return workers[0]
        time.sleep(0.005)
    pytest.fail("no render worker was found making a document")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers in /proc")
def test_a_worker_killed_mid_build_fails_only_its_document(tmp_path):
    out = tmp_path / "out"
    for _ in range(3):
        shutil.rmtree(out, ignore_errors=True)
        build = subprocess.Popen(
            [sys.executable, "-m", "handouts", "build", "--all", "--jobs", "2", "--out", str(out)],
            cwd=REPOSITORY,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _kill_a_busy_worker(build, out)
            stdout, stderr = build.communicate(timeout=300)
        finally:
            if build.poll() is None:
                build.kill()
                build.communicate()
        if build.returncode == 0:
            # The worker died between two documents (pickling a result, say): none was
            # lost, and all were made again.
            assert "64 documents: 64 built, 0 unchanged, 0 failed" in stdout
            continue
        break
    else:
        pytest.fail("the killed worker was never making a document")
    assert build.returncode == 1, stderr
    failed = re.findall(r"^FAILED (\S+):$", stderr, re.MULTILINE)
    assert len(failed) == 1, stderr
    assert f"FAILED {failed[0]}:\n  {STOPPED}; the process ended by SIGKILL\n" in stderr
    assert "Traceback" not in stderr
    assert "64 documents: 63 built, 0 unchanged, 1 failed" in stdout
    assert "Error: 1 document not built; see above" in stderr
    entries = _manifest(out)
    assert set(entries) == _pdfs_on_disk(out)
    assert len(entries) == 63 and f"{failed[0]}.pdf" not in entries
    assert not list(out.rglob("*.tmp"))
    for path, entry in entries.items():
        assert len(PdfReader(out / path).pages) == entry["pages"]


def test_sigterm_leaves_only_complete_pdfs_and_a_true_manifest(tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "handouts", "build", "--all", "--jobs", "2", "--out", str(out)],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        manifest = out / "manifest.json"
        if manifest.exists() and len(json.loads(manifest.read_text() or "[]")) >= 4:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert "interrupted" in stderr
    entries = _manifest(out)
    assert 4 <= len(entries) < 64  # stopped part-way
    assert set(entries) == _pdfs_on_disk(out)
    assert not list(out.rglob("*.tmp"))
    for path, entry in entries.items():
        reader = PdfReader(out / path)
        assert len(reader.pages) == entry["pages"]


def test_second_run_is_unchanged_and_one_edit_rebuilds_one_drug(content, tmp_path):
    out = tmp_path / "out"
    first = run_cli("build", "--all", "--jobs", "2", "--content", content, "--out", out)
    assert first.returncode == 0, first.stderr
    assert "64 documents: 64 built, 0 unchanged, 0 failed" in first.stdout
    mtimes = {p: (out / p).stat().st_mtime_ns for p in _pdfs_on_disk(out)}

    second = run_cli("build", "--all", "--content", content, "--out", out)
    assert second.returncode == 0, second.stderr
    assert "64 documents: 0 built, 64 unchanged, 0 failed" in second.stdout
    assert {p: (out / p).stat().st_mtime_ns for p in _pdfs_on_disk(out)} == mtimes

    # A new review date changes every document of that drug (footers), in every language.
    edit_field(content, "inotuzumab-ozogamicin", ("last_reviewed",), "2026-12-01")
    third = run_cli("build", "--all", "--content", content, "--out", out)
    assert third.returncode == 0, third.stderr
    assert "64 documents: 32 built, 32 unchanged, 0 failed" in third.stdout
    rebuilt = {p for p in mtimes if (out / p).stat().st_mtime_ns != mtimes[p]}
    assert rebuilt == {p for p in mtimes if p.startswith("inotuzumab-ozogamicin/")}

    forced = run_cli(
        "build", "blinatumomab", "--lang", "en", "--force", "--content", content, "--out", out
    )
    assert "2 documents: 2 built, 0 unchanged, 0 failed" in forced.stdout


def test_dask_executor_builds_the_same_bytes(tmp_path, drugs):
    from distributed import LocalCluster

    jobs = [Job(d, lang, kind) for d in drugs for lang in ("en", "ar", "zh-Hans") for kind in KINDS]
    local_out, dask_out = tmp_path / "local", tmp_path / "dask"
    with make_executor("local", 2) as pool:
        local = run_batch(jobs, local_out, pool)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        executor = make_executor(f"dask://{address}", None)
        dask = run_batch(jobs, dask_out, executor)
        executor.shutdown()
    assert not local.failed and not dask.failed
    assert _pdfs_on_disk(local_out) == _pdfs_on_disk(dask_out)
    for path in _pdfs_on_disk(local_out):
        assert (local_out / path).read_bytes() == (dask_out / path).read_bytes(), path


def test_every_document_is_handed_out_once_slow_groups_first(drugs):
    jobs = [
        (Job(drug, lang, kind), None, None)
        for drug in drugs
        for lang in available_languages(drug.path.parent)
        for kind in KINDS
    ]
    groups = _groups(jobs)
    handed_out = [job.name for group in groups for job, _, _ in group]
    assert sorted(handed_out) == sorted(job.name for job, _, _ in jobs)
    # Every group shares one language; handouts in the languages with the most font
    # families (the slowest) come first.
    assert all(len({job.lang for job, _, _ in group}) == 1 for group in groups)
    first = groups[0][0][0]
    assert first.kind == "handout"
    own = {lang: len(language(lang).fonts) for lang in LANGUAGES}
    assert own[first.lang] == max(own[job.lang] for job, _, _ in jobs)
    # The tail is single documents, handouts before cards, so no worker idles at the end.
    tail = [group for group in groups if len(group) == 1]
    assert len(tail) >= len(jobs) // 8
    assert [group[0][0].kind for group in tail] == sorted(
        (group[0][0].kind for group in tail), key=lambda kind: kind != "handout"
    )


@pytest.mark.parametrize("project", ["weasyprint", "pydyf"])
def test_a_new_weasyprint_or_pydyf_changes_every_input_hash(monkeypatch, project):
    # Every installed distribution counts, by its dist-info folder's name-version; a
    # different version means rebuilding everything.
    from handouts import fingerprint

    installed = fingerprint.installed_distributions()

    def shared_inputs_with(version):
        others = tuple(d for d in installed if not d.lower().startswith(f"{project}-"))
        monkeypatch.setattr(
            fingerprint,
            "installed_distributions",
            lambda: (*others, f"{project}-{version}.dist-info"),
        )
        fingerprint._software.cache_clear()
        return fingerprint.shared_inputs()

    try:
        assert shared_inputs_with("70.0") != shared_inputs_with("71.0.1")
    finally:
        fingerprint._software.cache_clear()
