"""Card stocks, duplex sheets, large print, tagged and archival PDFs, clinic settings."""

import io

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium_raw
import pytest
import weasyprint
from pypdf import PdfReader

from handouts.clinic import load_clinic
from handouts.compose import Job, Personal
from handouts.errors import RenderError
from handouts.locations import TEMPLATES_DIR
from handouts.pdf import TemplateHTML
from handouts.pipeline import Pipeline

from .conftest import FIXTURES, decode_qr_codes, page_sizes, pdf_text, run_cli

PT_PER_MM = 72 / 25.4
TOLERANCE_PT = 0.5 * PT_PER_MM  # 0.5 mm

# The stocks' published geometry, written out independently of handouts/stocks.py:
# (page width, page height, card width, card height, first cell left, first cell top,
#  column pitch, row pitch, cell width, cell height, columns, rows), in mm.
IN = 25.4
SHEETS = {
    ("us-business", "letter"): (
        8.5 * IN,
        11 * IN,
        3.5 * IN,
        2 * IN,
        0.75 * IN,
        0.5 * IN,
        3.5 * IN,
        2 * IN,
        3.5 * IN,
        2 * IN,
        2,
        5,
    ),  # Avery 5371
    ("id1", "a4"): (210, 297, 85.60, 53.98, 15, 13.5, 95, 54, 85, 54, 2, 5),  # Avery C32011
    ("id1", "letter"): (
        8.5 * IN,
        11 * IN,
        85.60,
        53.98,
        19.35,
        22.74,
        91.6,
        59.98,
        85.60,
        53.98,
        2,
        4,
    ),  # with crop marks
}


@pytest.fixture(scope="module")
def sheets(blinatumomab, pipeline):
    return {
        key: pipeline.render(Job(blinatumomab, "en", "card-sheet", paper=key[1], stock=key[0])).pdf
        for key in SHEETS
    }


def card_rects(pdf: bytes, page_index: int, width_mm: float, height_mm: float):
    """The white card areas drawn on a sheet page, as (left, top) in mm from the top left."""
    document = pypdfium2.PdfDocument(pdf)
    page = document[page_index]
    page_height = page.get_height()
    found = []
    for obj in page.get_objects(max_depth=8):
        if obj.type != pdfium_raw.FPDF_PAGEOBJ_PATH:
            continue
        left, bottom, right, top = obj.get_bounds()
        if (
            abs(right - left - width_mm * PT_PER_MM) < 0.3
            and abs(top - bottom - height_mm * PT_PER_MM) < 0.3
        ):
            found.append((round(left / PT_PER_MM, 3), round((page_height - top) / PT_PER_MM, 3)))
    document.close()
    return sorted(set(found), key=lambda xy: (round(xy[1]), xy[0]))


@pytest.mark.parametrize(
    "stock, size_pt",
    [
        ("us-business", (252.0, 144.0)),
        ("id1", (round(85.60 * PT_PER_MM, 2), round(53.98 * PT_PER_MM, 2))),
    ],
)
def test_single_card_page_size(blinatumomab, pipeline, stock, size_pt):
    pdf = pipeline.render(Job(blinatumomab, "en", "card", stock=stock)).pdf
    assert page_sizes(pdf) == [size_pt, size_pt]


def test_print_shop_card_has_bleed_trim_and_crop_marks(blinatumomab, pipeline):
    pdf = pipeline.render(Job(blinatumomab, "en", "card", stock="print-shop")).pdf
    for page in PdfReader(io.BytesIO(pdf)).pages:
        trim = [float(v) for v in page.trimbox]
        bleed = [float(v) for v in page.bleedbox]
        media = [float(v) for v in page.mediabox]
        assert trim[2] - trim[0] == pytest.approx(252, abs=0.01)
        assert trim[3] - trim[1] == pytest.approx(144, abs=0.01)
        three_mm = 3 * PT_PER_MM
        assert bleed == pytest.approx(
            [trim[0] - three_mm, trim[1] - three_mm, trim[2] + three_mm, trim[3] + three_mm],
            abs=0.01,
        )
        # Room for the crop marks outside the bleed.
        assert media[0] < bleed[0] - 5 * PT_PER_MM and media[2] > bleed[2] + 5 * PT_PER_MM
    assert decode_qr_codes(pdf, dpi=300) == ["https://www.blincyto.com/"]


@pytest.mark.parametrize("key", SHEETS)
def test_sheet_geometry_matches_the_stock(sheets, key):
    (
        page_w,
        page_h,
        card_w,
        card_h,
        left,
        top,
        col_pitch,
        row_pitch,
        cell_w,
        cell_h,
        columns,
        rows,
    ) = SHEETS[key]
    pdf = sheets[key]
    assert page_sizes(pdf) == [(round(page_w * PT_PER_MM, 2), round(page_h * PT_PER_MM, 2))] * 2
    expected = [
        (left + c * col_pitch + (cell_w - card_w) / 2, top + r * row_pitch + (cell_h - card_h) / 2)
        for r in range(rows)
        for c in range(columns)
    ]
    found = card_rects(pdf, 0, card_w, card_h)
    assert len(found) == columns * rows
    for (x, y), (ex, ey) in zip(found, expected, strict=True):
        assert abs(x - ex) < 0.5 and abs(y - ey) < 0.5, (found, expected)


@pytest.mark.parametrize("key", SHEETS)
def test_duplex_backs_lie_behind_their_fronts(sheets, key, blinatumomab, pipeline):
    page_w, _, card_w, card_h = SHEETS[key][:4]
    pdf = sheets[key]
    fronts = card_rects(pdf, 0, card_w, card_h)
    backs = card_rects(pdf, 1, card_w, card_h)
    assert len(fronts) == len(backs)
    # After a long-edge flip, a point at x on the back lands at page_w - x on the front.
    front_centres = sorted((x + card_w / 2, y + card_h / 2) for x, y in fronts)
    flipped_backs = sorted((page_w - (x + card_w / 2), y + card_h / 2) for x, y in backs)
    for (fx, fy), (bx, by) in zip(front_centres, flipped_backs, strict=True):
        assert abs(fx - bx) < 0.5 and abs(fy - by) < 0.5
    # And back i is the back of front i: its QR sits behind card i of page 1 in the
    # layout order, checked by rendering a sheet of different drugs below.


def test_every_qr_on_every_sheet_decodes(sheets):
    for key, pdf in sheets.items():
        columns, rows = SHEETS[key][-2:]
        codes = decode_qr_codes(pdf, dpi=150)
        assert codes == ["https://www.blincyto.com/"] * (columns * rows), key


def test_sheet_printing_note_is_outside_the_cards(sheets):
    for key, pdf in sheets.items():
        text = pdf_text(pdf)
        assert "Print at 100% (actual size, no scaling)" in text
        assert "flipping on the long edge" in text
        document = pypdfium2.PdfDocument(pdf)
        page = document[0]
        textpage = page.get_textpage()
        height = page.get_height()
        start = textpage.get_text_range().index("Print at 100%")
        _, bottom, _, top = textpage.get_charbox(start)
        card_w, card_h, left, top_mm, _, row_pitch, _, cell_h, _, rows = SHEETS[key][2:]
        last_card_bottom = (top_mm + (rows - 1) * row_pitch + cell_h) * PT_PER_MM
        assert height - top > last_card_bottom, key
        document.close()


def test_mixed_stock_run_keeps_each_back_behind_its_front(tmp_path, drugs):
    out = tmp_path / "run.pdf"
    result = run_cli("sheet", "blinatumomab:en:3", "inotuzumab-ozogamicin:en:2", "--out", out)
    assert result.returncode == 0, result.stderr
    pdf = out.read_bytes()
    assert sorted(decode_qr_codes(pdf, dpi=150)) == sorted(
        ["https://www.blincyto.com/"] * 3
        + ["https://www.pfizermedicalinformation.com/besponsa"] * 2
    )
    document = pypdfium2.PdfDocument(pdf)
    front_page, back_page = document[0], document[1]

    def centre_of(page, needle, nth):
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        index = -1
        for _ in range(nth + 1):
            index = text.index(needle, index + 1)
        left, bottom, right, top = textpage.get_charbox(index)
        return left, top

    # Card 4 (index 3) is the first Besponsa card: its front says so, and its back's
    # caption names the same drug at the mirrored place.
    fx, fy = centre_of(front_page, "INOTUZUMAB", 0)
    bx, by = centre_of(back_page, "Inotuzumab ozogamicin:", 0)
    card_w = 3.5 * 72
    front_column = int((fx - 54) // card_w)
    back_column = int((bx - 54) // card_w)
    assert front_column == 1 and back_column == 0  # mirrored columns
    assert abs((792 - fy) // 144 - (792 - by) // 144) == 0  # same row
    document.close()


def test_large_print_body_text_is_at_least_18_pt(blinatumomab, pipeline):
    pdf = pipeline.render(Job(blinatumomab, "en", "handout", large_print=True)).pdf
    document = pypdfium2.PdfDocument(pdf)
    sizes = []
    for page in document:
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            if not textpage.get_text_range(i, 1).isspace():
                sizes.append(pdfium_raw.FPDFText_GetFontSize(textpage.raw, i))
    document.close()
    assert sizes and min(sizes) >= 18 - 0.01
    normal = pipeline.render(Job(blinatumomab, "en", "handout")).pdf
    assert len(page_sizes(pdf)) > len(page_sizes(normal))


@pytest.mark.parametrize(
    ("drug_id", "lang"), [("blinatumomab", "ar"), ("inotuzumab-ozogamicin", "vi")]
)
def test_large_print_on_a4_keeps_every_line_on_the_page(drugs, pipeline, drug_id, lang):
    # The draft line in the top margin (two lines of 18 pt in Arabic) and the long web
    # address (in Vietnamese) once ran past the page's edges; the layout check (every
    # edge) would stop the build, and the text is all there, the address in order.
    drug = next(d for d in drugs if d.id == drug_id)
    pdf = pipeline.render(Job(drug, lang, "handout", "a4", large_print=True)).pdf
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        width, height = page.get_size()
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            left, bottom, right, top = textpage.get_charbox(i)
            if right > left:
                assert -0.5 <= left and right <= width + 0.5, textpage.get_text_range(i, 1)
                assert -0.5 <= bottom and top <= height + 0.5, textpage.get_text_range(i, 1)
    document.close()
    assert drug.drug.full_info_url["en"].replace("/", "") in pdf_text(pdf).replace(" ", "").replace(
        "/", ""
    )


def test_handout_is_tagged_pdf_ua(letter_build):
    out, built = letter_build
    for item in built:
        if item.kind != "handout":
            continue
        with pikepdf.open(out / item.path) as pdf:
            meta = pdf.open_metadata()
            assert meta.get("pdfuaid:part") == "1"
            assert "/StructTreeRoot" in pdf.Root
            assert pdf.Root.MarkInfo.Marked
            assert str(pdf.Root.Lang) == "en"
            assert "patient handout" in str(pdf.docinfo.Title)
            assert pdf.Root.ViewerPreferences.DisplayDocTitle


# WeasyPrint leaves its sRGB profile file open when it writes PDF/A (its own leak).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_pdfa_archival_copy(blinatumomab, pipeline):
    pdf = pipeline.render(Job(blinatumomab, "en", "handout", pdfa=True)).pdf
    with pikepdf.open(io.BytesIO(pdf)) as document:
        meta = document.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "U"
        assert "/StructTreeRoot" in document.Root


def test_clinic_name_phone_logo_and_qr_base(blinatumomab, pipeline):
    clinic = load_clinic(FIXTURES / "clinic" / "clinic.yaml")
    handout = pipeline.render(Job(blinatumomab, "en", "handout", clinic=clinic)).pdf
    card = pipeline.render(Job(blinatumomab, "en", "card", stock="id1", clinic=clinic)).pdf
    # The page of the version it was printed from, in its language (handouts site).
    url = "https://handouts.riverside.example/blinatumomab/en/1.1.0/"
    for pdf in (handout, card):
        text = pdf_text(pdf)
        assert "Name: Riverside Cancer Center" in text
        assert "24-hour phone: +1 555 010 0199" in text
        assert decode_qr_codes(pdf, dpi=200) == [url]
    # The logo is drawn at the top right of page 1 (and nothing is there without it).
    plain = pipeline.render(Job(blinatumomab, "en", "handout")).pdf
    assert _dark_pixels_top_right(handout) > 200
    assert _dark_pixels_top_right(plain) == 0


def _dark_pixels_top_right(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=1).to_pil().convert("L")
    document.close()
    width, height = image.size
    corner = image.crop((int(width * 0.7), 0, width, int(height * 0.14)))
    return sum(1 for value in corner.tobytes() if value < 128)


def test_clinic_defaults_apply_and_page_limit_warns(tmp_path):
    result = run_cli(
        "build",
        "blinatumomab",
        "--lang",
        "en",
        "--clinic",
        FIXTURES / "clinic" / "clinic.yaml",
        "--out",
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "blinatumomab/en/card-id1.pdf").exists()  # clinic's stock
    sizes = page_sizes((tmp_path / "blinatumomab/en/handout.pdf").read_bytes())
    assert sizes[0] == (595.28, 841.89)  # clinic's A4
    assert "Warning: blinatumomab/en/handout: 5 pages, more than the limit of 3" in result.stderr


def test_broken_clinic_settings_are_all_reported(tmp_path):
    result = run_cli(
        "build",
        "blinatumomab",
        "--clinic",
        "tests/fixtures/clinic/broken.yaml",
        "--out",
        tmp_path / "out",
    )
    assert result.returncode == 1
    broken = "tests/fixtures/clinic/broken.yaml"
    assert result.stderr == (
        f"{broken}:3:12: phone_24h: 'call us' does not have the expected form (a phone "
        'number: digits, spaces and + ( ) - . /, e.g. "+1 555 010 0199")\n'
        f"{broken}:4:8: paper: 'legal' is not allowed; use one of: 'letter' or 'a4'\n"
        f"{broken}:6:7: logo: 'logo.gif' not found beside the settings file\n"
        f"{broken}:7:14: qr_base_url: must be a full https:// address (plain http and other "
        "schemes are not allowed)\n"
        f"{broken}:8:1: colour: unknown key; check its spelling against the clinic settings "
        "section of README.md\n"
        "Error: 5 problems in the clinic settings; nothing was written.\n"
    )
    assert not (tmp_path / "out").exists()


def test_clinic_from_environment(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    env = {**os.environ, "HANDOUTS_CLINIC": str(FIXTURES / "clinic" / "clinic.yaml")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "handouts",
            "build",
            "blinatumomab",
            "--lang",
            "en",
            "--kind",
            "card",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Riverside Cancer Center" in pdf_text(
        (tmp_path / "blinatumomab/en/card-id1.pdf").read_bytes()
    )


def test_qr_url_too_long_is_a_clear_error(tmp_path, pipeline):
    import shutil

    from handouts.content import load_all
    from handouts.errors import HandoutsError

    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    path = content / "testdrug" / "drug.yaml"
    long_url = "https://example.org/" + "very-long-path/" * 20
    path.write_text(path.read_text().replace("https://example.org/testdrug", long_url))
    drug = load_all(content)[0]
    with pytest.raises(
        HandoutsError,
        match=r"QR code: .* needs \d+ modules, which makes each "
        r"module 0\.\d+ mm at 22 mm wide \(minimum 0\.4 mm\)",
    ):
        pipeline.render(Job(drug, "en", "card"))


def test_text_printed_over_other_text_fails_the_build(drugs, tmp_path):
    # A template change that pulls a paragraph up over the one before it: the build
    # refuses the handout instead of printing a page where neither can be read.
    handout = (TEMPLATES_DIR / "handout.html").read_text()
    summary = '<p {{ field("summary", "summary") }}>'
    assert summary in handout
    (tmp_path / "handout.html").write_text(
        handout.replace(summary, summary[:-1] + ' style="margin-top: -24pt">')
    )
    with pytest.raises(RenderError, match=r"on page 1, .* are printed over each other"):
        Pipeline(template_dirs=[tmp_path]).render(Job(drugs[0], "en", "handout"))


def test_html_defaults_give_the_same_pdf_as_weasyprints_own(blinatumomab, monkeypatch):
    # templates/html_defaults.css stands in for WeasyPrint's HTML stylesheet. Each element
    # the templates use appears below (a clinic logo, a patient's details laid out whole
    # and drawn into a kept layout, draft notices, right-to-left and CJK text, a sheet of
    # cards), and each PDF must come out the same with WeasyPrint's full stylesheet.
    clinic = load_clinic(FIXTURES / "clinic" / "clinic.yaml")
    personal = Personal("Ana María Pérez", "Ward 7", "+1 555 010 0199")
    jobs = [
        Job(blinatumomab, "en", "handout", clinic=clinic, personal=personal),
        Job(blinatumomab, "ar", "handout", paper="a4", large_print=True),
        Job(blinatumomab, "zh-Hans", "card", stock="id1", personal=personal),
        Job(blinatumomab, "ru", "card-sheet"),
    ]
    assert "_ua_stylesheets" in vars(weasyprint.HTML)  # the hook TemplateHTML overrides

    def render_all():
        pipeline = Pipeline()  # its own kept layouts, made with these defaults
        return [
            pdf
            for job in jobs
            for pdf in (pipeline.render(job).pdf, pipeline.lay_out_and_write([job]).pdf)
        ]

    lean = render_all()
    monkeypatch.setattr(TemplateHTML, "_ua_stylesheets", weasyprint.HTML._ua_stylesheets)
    full = render_all()
    for number, (lean_pdf, full_pdf) in enumerate(zip(lean, full, strict=True)):
        assert lean_pdf == full_pdf, jobs[number // 2].name
