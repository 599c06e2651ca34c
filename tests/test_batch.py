"""Catalogue builds: isolation of failures, atomic output under SIGTERM, incremental
rebuilds, and the Dask executor."""

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from pypdf import PdfReader

from handouts.batch import _groups, make_executor, run_batch
from handouts.catalogs import available_languages
from handouts.compose import Job
from handouts.content import load_all
from handouts.documents import KINDS
from handouts.fonts import STACKS
from handouts.locations import CONTENT_DIR

from .conftest import FIXTURES, REPOSITORY, edit_field, run_cli


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
    path.write_text(path.read_text().replace("Pretend rash", "Pretend rash ☃"))
    out = tmp_path / "out"
    result = run_cli("build", "--all", "--lang", "en", "--jobs", "2", "--content", content,
                     "--out", out)
    assert result.returncode == 1
    assert "FAILED testdrug/en/handout:" in result.stderr and "U+2603" in result.stderr
    assert "FAILED testdrug/en/card:" in result.stderr
    assert "6 documents: 4 built, 0 unchanged, 2 failed" in result.stdout
    assert _pdfs_on_disk(out) == {f"{d}/en/{k}.pdf" for d in ("blinatumomab",
                                  "inotuzumab-ozogamicin") for k in KINDS}
    assert set(_manifest(out)) == _pdfs_on_disk(out)


def test_sigterm_leaves_only_complete_pdfs_and_a_true_manifest(tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "handouts", "build", "--all", "--jobs", "2", "--out", str(out)],
        cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
    assert 4 <= len(entries) < 64           # stopped part-way
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

    forced = run_cli("build", "blinatumomab", "--lang", "en", "--force", "--content", content,
                     "--out", out)
    assert "2 documents: 2 built, 0 unchanged, 0 failed" in forced.stdout


def test_dask_executor_builds_the_same_bytes(tmp_path, drugs):
    from distributed import LocalCluster
    jobs = [Job(d, lang, kind) for d in drugs for lang in ("en", "ar", "zh-Hans")
            for kind in KINDS]
    local_out, dask_out = tmp_path / "local", tmp_path / "dask"
    with make_executor("local", 2) as pool:
        local = run_batch(jobs, local_out, pool)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        executor = make_executor(f"dask://{address}", None)
        dask = run_batch(jobs, dask_out, executor)
        executor.shutdown()
    assert not local.failed and not dask.failed
    assert _pdfs_on_disk(local_out) == _pdfs_on_disk(dask_out)
    for path in _pdfs_on_disk(local_out):
        assert (local_out / path).read_bytes() == (dask_out / path).read_bytes(), path


def test_every_document_is_handed_out_once_slow_groups_first(drugs):
    jobs = [(Job(drug, lang, kind), None, None) for drug in drugs
            for lang in available_languages(drug.path.parent) for kind in KINDS]
    groups = _groups(jobs)
    handed_out = [job.name for group in groups for job, _, _ in group]
    assert sorted(handed_out) == sorted(job.name for job, _, _ in jobs)
    # Every group shares one language; handouts in the languages with the most font
    # families (the slowest) come first.
    assert all(len({job.lang for job, _, _ in group}) == 1 for group in groups)
    first = groups[0][0][0]
    assert first.kind == "handout"
    assert len(STACKS[first.lang]) == max(len(STACKS[job.lang]) for job, _, _ in jobs)
    # The tail is single documents, handouts before cards, so no worker idles at the end.
    tail = [group for group in groups if len(group) == 1]
    assert len(tail) >= len(jobs) // 8
    assert [group[0][0].kind for group in tail] == sorted(
        (group[0][0].kind for group in tail), key=lambda kind: kind != "handout")


def test_a_new_weasyprint_or_pydyf_changes_every_input_hash(tmp_path, monkeypatch):
    # Their __init__.py states their version; a different one means rebuilding everything.
    from types import SimpleNamespace
    from handouts import fingerprint
    init = tmp_path / "__init__.py"
    init.write_text("VERSION = __version__ = '70.0'\n")
    monkeypatch.setattr(fingerprint, "find_spec", lambda name: SimpleNamespace(origin=init))
    fingerprint._software.cache_clear()
    before = fingerprint.shared_inputs()
    init.write_text("VERSION = __version__ = '71.0.1'\n")
    fingerprint._software.cache_clear()
    assert fingerprint.shared_inputs() != before
    fingerprint._software.cache_clear()
