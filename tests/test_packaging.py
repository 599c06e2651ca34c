"""handouts as a clinic installs it: a wheel in a fresh virtual environment, run from
another folder; and what an upgrade must rebuild."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from handouts.fingerprint import versions
from handouts.locations import PACKAGE_DIR

from .conftest import REPOSITORY, pdf_text, run_cli

SOURCE_SKIP = shutil.ignore_patterns(
    ".git", ".venv*", "dist", "build", "*.egg-info", "__pycache__", ".pytest_cache", "tests"
)


def run(*args, **kwargs):
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built from a copy of the sources, installed into a new virtual environment
    that has only the wheel and the locked dependencies (no network, no checkout)."""
    work = tmp_path_factory.mktemp("wheel")
    shutil.copytree(REPOSITORY, work / "source", ignore=SOURCE_SKIP)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--wheel-dir",
        work / "wheels",
        work / "source",
    )
    wheel = next((work / "wheels").glob("handouts-*.whl"))
    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        wheel,
    )
    # The dependencies are the ones this suite runs on; a .pth line adds their folder
    # without running its .pth files, so this checkout's editable install stays out.
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    Path(purelib.stdout.strip(), "dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n"
    )
    elsewhere = work / "clinic"
    elsewhere.mkdir()
    return wheel, venv, elsewhere


def test_wheel_holds_templates_fonts_registry_and_samples(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "handouts/templates/handout.html",
        "handouts/templates/print.css",
        "handouts/templates/web/templates/index.html",
        "handouts/templates/locale/es/LC_MESSAGES/messages.po",
        "handouts/fonts/noto/NotoSansCJK-Regular.ttc",
        "handouts/languages.toml",
        "handouts/samples/blinatumomab/drug.yaml",
        "handouts/samples/blinatumomab/locale/es.po",
    ):
        assert expected in names
    assert not any(name.startswith("tests/") for name in names)


@pytest.mark.slow
def test_installed_wheel_builds_an_english_handout_and_card_from_another_folder(installed):
    _, venv, elsewhere = installed
    where = run(
        venv / "bin" / "python", "-c", "import handouts; print(handouts.__file__)", cwd=elsewhere
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)
    result = run(
        venv / "bin" / "handouts",
        "build",
        "blinatumomab",
        "--lang",
        "en",
        "--out",
        "out",
        cwd=elsewhere,
    )
    assert "2 built" in result.stdout
    handout = elsewhere / "out" / "blinatumomab" / "en" / "handout.pdf"
    card = elsewhere / "out" / "blinatumomab" / "en" / "card.pdf"
    assert "SERIOUS WARNINGS" in pdf_text(handout.read_bytes())
    assert "I am receiving" in pdf_text(card.read_bytes())
    assert len(PdfReader(card).pages) == 2
    listed = run(venv / "bin" / "handouts", "list", cwd=elsewhere).stdout
    assert listed.startswith("blinatumomab\tBlincyto\trxnorm 1597258")
    assert "\ten (English), es (Español)" in listed


@pytest.mark.slow
def test_installed_wheel_serves_the_web_app(installed):
    _, venv, elsewhere = installed
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [venv / "bin" / "handouts", "serve", "--port", str(port), "--workers", "1"],
        cwd=elsewhere,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = urllib.request.urlopen(url + "/", timeout=2).read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert "inotuzumab" in page.lower()
        assert urllib.request.urlopen(url + "/static/app.js", timeout=5).status == 200
        request = urllib.request.Request(
            url + "/api/documents",
            method="POST",
            headers={"Content-Type": "application/json"},
            data=b'{"drug": "blinatumomab", "lang": "es", "kinds": ["card"]}',
        )
        pdf = urllib.request.urlopen(request, timeout=60).read()
        assert pdf.startswith(b"%PDF") and "Blincyto" in pdf_text(pdf)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_change_to_the_card_geometry_rebuilds_the_cards(tmp_path):
    """A copy of the package, run in place of the installed one: one number of the card
    geometry changes, and the next build makes the cards again."""
    shutil.copytree(
        PACKAGE_DIR, tmp_path / "pkg" / "handouts", ignore=shutil.ignore_patterns("__pycache__")
    )
    # Without the site module (-S), this checkout's editable install is not loaded.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "pkg"), sysconfig.get_path("purelib")]),
    }
    python = [sys.executable, "-S"]

    def build():
        return run(
            *python,
            "-m",
            "handouts",
            "build",
            "blinatumomab",
            "--lang",
            "en",
            "--lang",
            "es",
            "--out",
            tmp_path / "out",
            cwd=tmp_path,
            env=env,
        ).stdout

    where = run(*python, "-c", "import handouts; print(handouts.__file__)", cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "pkg")
    assert "4 built" in build()
    assert "0 built, 4 unchanged" in build()
    stocks = tmp_path / "pkg" / "handouts" / "stocks.py"
    text = stocks.read_text()
    assert "0.125 * MM_PER_IN" in text
    stocks.write_text(text.replace("0.125 * MM_PER_IN", "0.13 * MM_PER_IN", 1))
    lines = build().splitlines()
    cards = [line for line in lines if "/card.pdf" in line]
    assert len(cards) == 2 and all(" built " in line for line in cards), lines
    # handouts' code is one input of every document: the handouts are made again too.
    assert "4 built, 0 unchanged" in lines[-1]
    assert not any("unchanged" in line for line in lines[:-1])


def test_manifest_records_what_made_each_pdf(tmp_path):
    import weasyprint

    made_by = versions()
    assert set(made_by) >= {"handouts", "weasyprint", "pydyf", "pango", "harfbuzz"}
    assert made_by["weasyprint"] == weasyprint.__version__
    # The Pango WeasyPrint loaded is the one recorded (it encodes 1.50.12 as 15012).
    major, minor, micro = map(int, made_by["pango"].split("."))
    assert weasyprint.text.ffi.pango.pango_version() == major * 10000 + minor * 100 + micro
    assert re.fullmatch(r"\d+\.\d+\.\d+", made_by["harfbuzz"])
    result = run_cli(
        "build", "blinatumomab", "--lang", "en", "--kind", "card", "--out", tmp_path, "--jobs", "1"
    )
    assert result.returncode == 0 and "1 built" in result.stdout, result.stderr
    entry = json.loads((tmp_path / "manifest.json").read_text())[0]
    assert entry["made_by"] == made_by
