"""End to end in a real browser: a nurse fills the form in Chromium and prints.

Drives Debian's chromium through Playwright against `handouts serve` on loopback; the
server's whole log output is then checked for the patient's name.
"""

import shutil

import pytest

from handouts.content import load_all
from handouts.locations import CONTENT_DIR

from .chromium import CHROMIUM, LAUNCH_ARGS
from .conftest import edit_field, pdf_text, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAME = "Zephyrine Quackenbush"


@pytest.fixture
def server(tmp_path):
    with running_server(tmp_path) as (url, log, _):
        yield url, log


@pytest.fixture
def tablet():
    """A browser context the size of a tablet, in Debian's chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=LAUNCH_ARGS,
        )
        yield browser.new_context(viewport={"width": 820, "height": 1180})
        browser.close()


def test_nurse_prints_a_personalized_handout_and_card(server, tablet):
    url, log = server
    pdfs = []

    def keep_pdf(route):
        response = route.fetch()
        pdfs.append((response.headers.get("content-type"), response.body()))
        route.fulfill(response=response)

    tablet.route("**/print", keep_pdf)
    page = tablet.new_page()
    page.goto(url + "/")
    page.get_by_label("Search medicines").fill("no such medicine")
    assert page.get_by_role("button", name="Print").is_disabled()
    assert "No medicine matches" in page.locator("#drug-count").inner_text()
    page.get_by_label("Search medicines").fill("beSPO")
    assert page.get_by_role("button", name="Print").is_enabled()
    assert page.get_by_label("Medicines", exact=True).input_value() == "inotuzumab-ozogamicin"
    page.get_by_label("Patient's language").select_option("es")
    assert "Draft translation" in page.get_by_role("status").inner_text()
    page.get_by_label("Both, in one PDF").check()
    page.get_by_label("Patient's name").fill(NAME)
    page.get_by_label("Care team").fill("Dr Ada Byron")
    page.get_by_label("24-hour phone").fill("+1 555 010 0199")
    page.get_by_label("Treatment start date").fill("2026-11-02")
    with tablet.expect_page() as popup:
        page.get_by_role("button", name="Print").click()
    popup.value.wait_for_load_state()
    assert len(pdfs) == 1
    content_type, pdf = pdfs[0]
    assert content_type == "application/pdf", pdf[:3000]
    text = pdf_text(pdf)
    assert NAME in text and "Dr Ada Byron" in text
    assert "Inotuzumab ozogamicin" in text and "Borrador: traducción no revisada" in text
    # Everything the server printed while the nurse worked: its log, never the name.
    logged = log.read_text()
    assert "rendered inotuzumab-ozogamicin/es handout+card" in logged
    assert NAME not in logged and "Quackenbush" not in logged and "Ada Byron" not in logged


def test_ehr_launch_opens_the_page_ready_to_print_a_packet(server, tablet):
    """An EHR opens the page with the patient's medicines and language chosen; the nurse
    adds the name and prints one packet."""
    url, log = server
    pdfs = []

    def keep_pdf(route):
        response = route.fetch()
        pdfs.append(response.body())
        route.fulfill(response=response)

    tablet.route("**/print", keep_pdf)
    page = tablet.new_page()
    page.goto(url + "/?rxcui=1597262&ndc=00008-0100-01&lang=spa")
    medicines = page.get_by_label("Medicines", exact=True)
    chosen = medicines.evaluate("s => [...s.selectedOptions].map(o => o.value)")
    assert chosen == ["blinatumomab", "inotuzumab-ozogamicin"]
    assert page.get_by_label("Patient's language").input_value() == "es"
    assert "Draft translation" in page.get_by_role("status").inner_text()
    # Several medicines: a packet, whatever the document choice says.
    assert page.locator("#packet-note").is_visible()
    assert page.get_by_label("Wallet card").is_disabled()
    page.get_by_label("Patient's name").fill(NAME)
    with tablet.expect_page() as popup:
        page.get_by_role("button", name="Print").click()
    popup.value.wait_for_load_state()
    (pdf,) = pdfs
    text = pdf_text(pdf)
    assert text.startswith("Sus medicamentos") and NAME in text
    assert "Estoy recibiendo BLINATUMOMAB" in text and "Estoy recibiendo INOTUZUMAB" in text
    logged = log.read_text()
    assert "rendered blinatumomab+inotuzumab-ozogamicin/es packet" in logged
    assert "Quackenbush" not in logged
    # Choosing one medicine again gives the document choices back.
    medicines.select_option("blinatumomab")
    assert not page.locator("#packet-note").is_visible()
    assert page.get_by_label("Wallet card").is_enabled()


def test_print_is_off_while_a_translation_is_behind_the_english(tmp_path, tablet):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    effect = load_all(content, ["blinatumomab"])[0].drug.common_side_effects.items[2]
    edit_field(content, "blinatumomab", ("common_side_effects", "items", 2), effect + " that lasts")
    with running_server(tmp_path, "--content", content) as (url, _, _):
        page = tablet.new_page()
        page.goto(url + "/")
        page.get_by_label("Search medicines").fill("blin")
        page.get_by_label("Patient's language").select_option("de")
        assert "cannot be printed" in page.get_by_role("status").inner_text()
        assert page.get_by_role("button", name="Print").is_disabled()
        page.get_by_label("Patient's language").select_option("en")
        assert page.get_by_role("button", name="Print").is_enabled()


@pytest.mark.parametrize(
    "query",
    ["", "?rxcui=1597262&ndc=00008-0100-01&lang=es", "?rxcui=637188&lang=zh-TW"],
)
def test_axe_finds_no_violation_on_the_discharge_page(server, tablet, query):
    """axe-core's rules on the page as a nurse opens it, and as an EHR launch opens it
    (several medicines chosen; a code and a language not found, with their notices)."""
    from axe_playwright_python.sync_playwright import Axe

    url, _ = server
    page = tablet.new_page()
    page.goto(url + "/" + query)
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], v["nodes"][0]["target"]) for v in violations] == []
