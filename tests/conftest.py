"""Shared fixtures: build real PDFs once per session and read them back."""

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from handouts.batch import InlineExecutor, run_batch
from handouts.compose import Job
from handouts.content import load_all
from handouts.documents import KINDS
from handouts.locations import CONTENT_DIR
from handouts.output import read_manifest
from handouts.pipeline import Pipeline

FIXTURES = Path(__file__).parent / "fixtures"
REPOSITORY = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pipeline():
    return Pipeline()


@pytest.fixture(scope="session")
def drugs():
    return load_all(CONTENT_DIR)


@pytest.fixture(scope="session")
def blinatumomab(drugs):
    return next(d for d in drugs if d.id == "blinatumomab")


def build_all(drugs, out: Path, pipeline, paper="letter", langs=("en",)):
    """Build every kind for these drugs and languages; fail the test if any document fails."""
    jobs = [Job(d, lang, kind, paper) for d in drugs for lang in langs for kind in KINDS]
    report = run_batch(jobs, out, InlineExecutor())
    assert not report.failed, "\n".join(f"{o.job.name}: {o.message}" for o in report.failed)
    manifest = read_manifest(out)
    return [SimpleNamespace(**manifest[path]) for path in sorted(o.path for o in report.outcomes)]


@pytest.fixture(scope="session")
def letter_build(tmp_path_factory, drugs, pipeline):
    out = tmp_path_factory.mktemp("letter")
    return out, build_all(drugs, out, pipeline)


@pytest.fixture(scope="session")
def a4_build(tmp_path_factory, drugs, pipeline):
    out = tmp_path_factory.mktemp("a4")
    return out, build_all(drugs, out, pipeline, paper="a4")


def run_cli(*args, cwd=REPOSITORY, env=None):
    """Run the real command line in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "handouts", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=None if env is None else {**os.environ, **env},
    )


@contextlib.contextmanager
def running_server(tmp_path: Path, *args, env: dict | None = None):
    """`handouts serve ARGS` with one render worker on a free loopback port, as (url, log
    file, process); stopped with SIGTERM, as a service manager would, on leaving."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "server.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "handouts",
                "serve",
                "--port",
                str(port),
                "--workers",
                "1",
                *map(str, args),
            ],
            cwd=REPOSITORY,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=None if env is None else {**os.environ, **env},
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/api/catalog", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # it answers (a server that wants a token refuses the catalogue)
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    raise RuntimeError("server did not start:\n" + log.read_text()) from None
                time.sleep(0.2)
        try:
            yield url, log, process
        finally:
            process.terminate()
            process.wait(timeout=30)


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [
        (round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2))
        for p in reader.pages
    ]


def pdf_text(pdf: bytes) -> str:
    """All text of the PDF, whitespace collapsed, as pdfium extracts it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def decode_qr_codes(pdf: bytes, dpi: int = 300) -> list[str]:
    """Rasterize every page and decode the QR codes found, as a phone would."""
    document = pypdfium2.PdfDocument(pdf)
    found = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72).to_pil()
            found += [
                r.text
                for r in zxingcpp.read_barcodes(image)
                if r.format == zxingcpp.BarcodeFormat.QRCode
            ]
    finally:
        document.close()
    return found


def in_mount_namespace(script: str, **env: str) -> None:
    """Run a shell script as root of its own user and mount namespace (where it can mount
    a small or read-only tmpfs), with env and $PYTHON set; the test is skipped where
    unprivileged namespaces are not allowed. The script leaves its findings in files."""
    import shutil

    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to mount a small tmpfs")
    ran = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHON": sys.executable, **env},
    )
    if ran.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {ran.stderr.strip()}")


def edit_field(content_dir: Path, drug_id: str, field: tuple, new: str) -> str:
    """Change one scalar of a drug.yaml in place, found by the position the loader
    recorded for it; returns the old text. The field must be a one-line plain scalar."""
    loaded = load_all(content_dir, [drug_id])[0]
    old = loaded.drug.model_dump(mode="json")
    for key in field:
        old = old[key]
    line, column = loaded.positions.of(field)
    lines = loaded.path.read_text().splitlines(keepends=True)
    assert lines[line - 1][column - 1 :] == f"{old}\n"
    lines[line - 1] = lines[line - 1][: column - 1] + f"{new}\n"
    loaded.path.write_text("".join(lines))
    return old


# Fixtures that build a whole catalogue: the tests using them are slow.
SLOW_FIXTURES = {"every_language"}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def reviewed_template_folder(templates: Path, lang: str = "es") -> Path:
    """A clinic template folder holding a reviewed copy of a bundled template catalogue."""
    import polib

    from handouts.locations import TEMPLATES_DIR

    catalog = templates / f"locale/{lang}/LC_MESSAGES/messages.po"
    catalog.parent.mkdir(parents=True)
    po = polib.pofile(str(TEMPLATES_DIR / f"locale/{lang}/LC_MESSAGES/messages.po"))
    po.metadata["X-Clinical-Reviewer"] = "Test Reviewer, RN (fixture only)"
    po.metadata["X-Clinical-Review-Date"] = "2026-02-01"
    po.save(str(catalog))
    return templates
