"""The discharge packet: one PDF of a patient's medicines, read back from the PDF.

From the API, the page's form and the command line: the list page (names, brands, what
each treats, care team), each handout, then one wallet card naming every medicine with its
most important warning, or a card for each when they do not fit on one.
"""

import pypdfium2
import pytest

from handouts.batch import InlineExecutor
from handouts.content import load_all
from handouts.localize import localize
from handouts.locations import CONTENT_DIR
from handouts.stocks import STOCKS
from handouts.web import create_app

from .conftest import decode_qr_codes, page_sizes, run_cli

BOTH = ["blinatumomab", "inotuzumab-ozogamicin"]
LETTER = (612.0, 792.0)
CARD = tuple(
    round(mm / 25.4 * 72, 2)
    for mm in (STOCKS["us-business"].card.width_mm, STOCKS["us-business"].card.height_mm)
)
NAME = "Zephyrine Quackenbush"


@pytest.fixture(scope="module")
def client():
    app = create_app(CONTENT_DIR, InlineExecutor())
    app.testing = True
    return app.test_client()


@pytest.fixture(scope="module")
def content():
    return {drug.id: drug for drug in load_all(CONTENT_DIR)}


def page_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def parts(pdf: bytes) -> tuple[list[int], list[int]]:
    """The numbers (from 0) of the paper pages and of the card pages, in order."""
    sizes = page_sizes(pdf)
    paper = [i for i, size in enumerate(sizes) if size == LETTER]
    cards = [i for i, size in enumerate(sizes) if size == CARD]
    assert len(paper) + len(cards) == len(sizes), sizes
    # The paper comes first, the cards last.
    assert paper == list(range(len(paper))) and cards == list(range(len(paper), len(sizes)))
    return paper, cards


def display(drug) -> str:
    return drug.drug.names.generic[:1].upper() + drug.drug.names.generic[1:]


def url(drug, lang: str) -> str:
    """The address a code opens without a clinic's web edition: the content's own."""
    return drug.drug.full_info_url.get(lang, drug.drug.full_info_url["en"])


def post(client, **body):
    response = client.post("/api/documents", json={"drugs": BOTH, **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    return response


def test_spanish_packet_lists_the_medicines_then_each_handout_then_one_card(client, content):
    response = post(
        client,
        lang="es",
        personalization={
            "patient_name": NAME,
            "care_team": "Hematología 4B",
            "phone": "+1 555 010 0199",
        },
    )
    assert (
        'filename="blinatumomab-inotuzumab-ozogamicin-es-packet.pdf"'
        in response.headers["Content-Disposition"]
    )
    pdf = response.data
    paper, cards = parts(pdf)
    texts = page_texts(pdf)
    first = texts[0]
    # The list page: every medicine with its brand and what it treats, the care team.
    assert first.startswith("Sus medicamentos") and "Borrador: traducción no revisada" in first
    assert NAME in first and "Hematología 4B" in first and "+1 555 010 0199" in first
    assert "La tarjeta de bolsillo va al final" in first
    for drug_id in BOTH:
        localized = localize(content[drug_id], "es").drug
        assert display(content[drug_id]) in first
        for brand in localized.names.brands:
            assert brand.name in first
        for item in localized.treats.items:
            assert " ".join(item.split()) in first
    # Each handout follows, whole, in the order given (its pages carry its name in the
    # footer; neither handout names the other medicine).
    pages = {d: [i for i in paper[1:] if display(content[d]) in texts[i]] for d in BOTH}
    assert pages[BOTH[0]] + pages[BOTH[1]] == paper[1:]
    for drug_id in BOTH:
        warning = localize(content[drug_id], "es").drug.boxed_warnings[0].title
        assert " ".join(warning.split()) in " ".join(texts[i] for i in pages[drug_id])
    # One wallet card for both: its front names each with its first warning, its back
    # holds the patient, the care team and a code for each medicine.
    assert len(cards) == 2
    front, back = (texts[i] for i in cards)
    for drug_id in BOTH:
        localized = localize(content[drug_id], "es").drug
        assert f"Estoy recibiendo {localized.names.generic.upper()}" in front
        assert " ".join(localized.card.warnings[0].split()) in front
        assert " ".join(localized.card.note.split()) in front  # for emergency staff
        assert all(" ".join(w.split()) not in front for w in localized.card.warnings[1:])
    assert NAME in back and "Hematología 4B" in back
    assert sorted(decode_qr_codes(_pages(pdf, cards[1:]))) == sorted(
        url(content[d], "es") for d in BOTH
    )


def _pages(pdf: bytes, numbers: list[int]) -> bytes:
    """A PDF of some of the pages, to decode the codes of those only."""
    import io

    from pypdf import PdfReader, PdfWriter

    reader, writer = PdfReader(io.BytesIO(pdf)), PdfWriter()
    for number in numbers:
        writer.add_page(reader.pages[number])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_arabic_packet_gets_a_card_for_each_medicine_when_one_cannot_hold_them(client, content):
    pdf = post(client, lang="ar").data
    paper, cards = parts(pdf)
    texts = page_texts(pdf)
    # Both names on the list page (they read left to right inside the Arabic text).
    for drug_id in BOTH:
        assert display(content[drug_id]) in texts[0]
    # The combined card does not fit in Arabic: a card (front and back) for each medicine,
    # each with its own code, in the order of the list.
    assert len(cards) == 4
    codes = [decode_qr_codes(_pages(pdf, [i])) for i in cards]
    assert codes[0] == [] and codes[2] == []  # fronts
    assert codes[1] == [url(content[BOTH[0]], "ar")] and codes[3] == [url(content[BOTH[1]], "ar")]
    # The list page says a card for each medicine follows, in Arabic.
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert (
            document.get_metadata_dict()["Title"] == "أدويتك: Blinatumomab, Inotuzumab ozogamicin"
        )
    finally:
        document.close()


def test_page_form_with_several_medicines_makes_the_packet(client):
    response = client.post(
        "/print", data={"drug": BOTH, "lang": "es", "kinds": "handout", "patient_name": NAME}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    paper, cards = parts(response.data)
    assert len(cards) == 2 and "Sus medicamentos" in page_texts(response.data)[0]


def test_one_medicine_as_drugs_is_a_packet_of_one(client, content):
    pdf = client.post(
        "/api/documents", json={"drugs": ["inotuzumab-ozogamicin"], "lang": "en"}
    ).data
    paper, cards = parts(pdf)
    texts = page_texts(pdf)
    assert "Your medicines" in texts[0] and "The wallet card comes last" in texts[0]
    assert len(cards) == 2 and "I am receiving INOTUZUMAB OZOGAMICIN" in texts[cards[0]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"drugs": BOTH, "drug": "blinatumomab"}, 'give "drug" (one medicine) or "drugs"'),
        ({"drugs": ["blinatumomab", "blinatumomab"]}, "drugs: name each medicine once"),
        ({"drugs": []}, "drugs: List should have at least 1 item"),
        ({"drugs": BOTH, "kinds": ["card"]}, 'leave "kinds" out with "drugs"'),
        (
            {"drugs": ["blinatumomab", "aspirin"]},
            "unknown drug; valid drugs: blinatumomab, inotuzumab-ozogamicin",
        ),
        ({"drugs": BOTH, "lang": "xx"}, "unknown language for blinatumomab"),
        ({"drugs": "blinatumomab"}, "drugs: Input should be a valid list"),
    ],
)
def test_bad_packet_requests_get_one_clear_message(client, body, message):
    response = client.post("/api/documents", json=body)
    assert response.status_code == 400
    assert message in response.json["error"]


def test_packet_from_the_command_line(tmp_path, content):
    out = tmp_path / "packet.pdf"
    result = run_cli(
        "packet",
        "--code",
        "rxnorm:1597258",
        "--code",
        "ndc:00008-0100-01",
        "--lang",
        "es",
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    assert "2 medicines" in result.stdout
    paper, cards = parts(out.read_bytes())
    assert "Sus medicamentos" in page_texts(out.read_bytes())[0] and len(cards) == 2
    refused = run_cli(
        "packet",
        "blinatumomab",
        "--lang",
        "es",
        "--out",
        tmp_path / "x.pdf",
        "--code",
        "ndc:1234-5678-90",
    )
    assert (
        refused.returncode == 2
        and "no drug in" in refused.stderr
        and "ndc code 01234-5678-90" in refused.stderr
    )
    assert not (tmp_path / "x.pdf").exists()
    nothing = run_cli("packet", "--out", tmp_path / "x.pdf")
    assert nothing.returncode == 2 and "name the patient's medicines" in nothing.stderr


def test_large_print_packet_sets_its_list_page_and_handouts_at_18_pt_or_more(client):
    import pypdfium2.raw as pdfium_raw

    pdf = post(client, lang="es", large_print=True).data
    paper, cards = parts(pdf)
    document = pypdfium2.PdfDocument(pdf)
    try:
        sizes = []
        for number in paper:
            textpage = document[number].get_textpage()
            sizes += [
                pdfium_raw.FPDFText_GetFontSize(textpage.raw, i)
                for i in range(textpage.count_chars())
                if not textpage.get_text_range(i, 1).isspace()
            ]
    finally:
        document.close()
    assert sizes and min(sizes) >= 18 - 0.01
    assert len(cards) in (2, 4)  # the cards keep card text (large print is for paper)


def test_three_medicines_get_a_card_each_in_english(tmp_path, content):
    """Three codes do not fit beside the care team on one card: each medicine gets its
    own card, and the list page says so."""
    import shutil

    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    shutil.copytree(folder / "blinatumomab", folder / "blinatumomab-copy")
    app = create_app(folder, InlineExecutor())
    body = {"drugs": [*BOTH, "blinatumomab-copy"], "lang": "en"}
    pdf = app.test_client().post("/api/documents", json=body).data
    paper, cards = parts(pdf)
    texts = page_texts(pdf)
    assert "A wallet card for each medicine comes last" in texts[0]
    assert len(cards) == 6
    fronts = [texts[i] for i in cards[::2]]
    assert [front.count("I am receiving") for front in fronts] == [1, 1, 1]
    assert "BLINATUMOMAB" in fronts[0] and "INOTUZUMAB" in fronts[1]
