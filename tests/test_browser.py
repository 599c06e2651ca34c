"""End to end in a real browser: a nurse fills the form in Chromium and prints.

Drives Debian's chromium through Playwright against `handouts serve` on loopback; the
server's whole log output is then checked for the patient's name.
"""

import shutil

import pytest

from .conftest import pdf_text, running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
NAME = "Zephyrine Quackenbush"


@pytest.fixture
def server(tmp_path):
    with running_server(tmp_path) as (url, log, _):
        yield url, log


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
        page.get_by_label("Search medicines").fill("no such medicine")
        assert page.get_by_role("button", name="Print").is_disabled()
        assert "No medicine matches" in page.locator("#drug-count").inner_text()
        page.get_by_label("Search medicines").fill("beSPO")
        assert page.get_by_role("button", name="Print").is_enabled()
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
