"""End to end in a real browser: a nurse fills the form in Chromium and prints.

Drives Debian's chromium through Playwright against `handouts serve` on loopback; the
server's whole log output is then checked for the patient's name.
"""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from handouts.locations import ROOT

from .conftest import pdf_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
NAME = "Zephyrine Quackenbush"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    log = tmp_path / "server.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "handouts", "serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/api/catalog", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    raise RuntimeError("server did not start:\n" + log.read_text())
                time.sleep(0.2)
        yield url, log
        process.terminate()
        process.wait(timeout=30)


def test_nurse_prints_a_personalized_handout_and_card(server):
    from playwright.sync_api import sync_playwright
    url, log = server
    pdfs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 820, "height": 1180})   # a tablet

        def keep_pdf(route):
            response = route.fetch()
            pdfs.append((response.headers.get("content-type"), response.body()))
            route.fulfill(response=response)

        context.route("**/print", keep_pdf)
        page = context.new_page()
        page.goto(url + "/")
        page.get_by_label("Search medicines").fill("beSPO")
        assert page.get_by_label("Medicine", exact=True).input_value() == "inotuzumab-ozogamicin"
        page.get_by_label("Patient's language").select_option("es")
        assert "Draft translation" in page.get_by_role("status").inner_text()
        page.get_by_label("Both, in one PDF").check()
        page.get_by_label("Patient's name").fill(NAME)
        page.get_by_label("Care team").fill("Dr Ada Byron")
        page.get_by_label("24-hour phone").fill("+1 555 010 0199")
        page.get_by_label("Treatment start date").fill("2026-11-02")
        with context.expect_page() as popup:
            page.get_by_role("button", name="Print").click()
        popup.value.wait_for_load_state()
        browser.close()
    assert len(pdfs) == 1
    content_type, pdf = pdfs[0]
    assert content_type == "application/pdf"
    text = pdf_text(pdf)
    assert NAME in text and "Dr Ada Byron" in text
    assert "Inotuzumab ozogamicin" in text and "Borrador: traducción no revisada" in text
    # Everything the server printed while the nurse worked: its log, never the name.
    logged = log.read_text()
    assert "rendered inotuzumab-ozogamicin/es handout+card" in logged
    assert NAME not in logged and "Quackenbush" not in logged and "Ada Byron" not in logged
