"""A patient's details drawn into a kept layout (handouts/stamp.py) must print exactly as
the whole layout with them would: same words in the same places, same tags, no trace of
the patient in what is kept."""

import datetime as dt
import io

import pikepdf
import pypdfium2
import pytest
from PIL import ImageChops

from handouts.clinic import load_clinic
from handouts.compose import Job, Personal
from handouts.pipeline import Pipeline
from handouts.locations import TEMPLATES_DIR

from .conftest import FIXTURES, page_sizes, pdf_text

NAME = "Zephyrine Quackenbush"


def personal(name=NAME):
    return Personal(name, "Dr Ada Byron, Ward 7", "+1 555 010 0199", dt.date(2026, 3, 9))


def handout_and_card(drug, lang, who, **options):
    return [Job(drug, lang, kind, personal=who, **options) for kind in ("handout", "card")]


def stamped_places(pdf: bytes) -> int:
    """How many overlay pages were drawn into places (0: the whole layout was written)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len({name for page in document.pages
                    for name in page.obj.Resources.get("/XObject", {}).keys()
                    if name.startswith("/Place")})


def characters(pdf: bytes) -> list[list[tuple]]:
    """Each page's printed characters with their boxes (pt), as pdfium reads them."""
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for page in document:
        text = page.get_textpage()
        found = [(text.get_text_range(i, 1), *text.get_charbox(i))
                 for i in range(text.count_chars())]
        pages.append(sorted((c for c in found if c[0].strip()),
                            key=lambda c: (c[0], round(c[2]), round(c[1]))))
    document.close()
    return pages


def same_places(first: list[tuple], second: list[tuple], tolerance=0.05) -> bool:
    return len(first) == len(second) and all(
        a[0] == b[0] and all(abs(x - y) <= tolerance for x, y in zip(a[1:], b[1:]))
        for a, b in zip(first, second))


def differing_pixels(first: bytes, second: bytes, dpi=100) -> list[int]:
    """Per page, the pixels that differ by more than half the grey scale."""
    counts = []
    a, b = pypdfium2.PdfDocument(first), pypdfium2.PdfDocument(second)
    for page_a, page_b in zip(a, b, strict=True):
        diff = ImageChops.difference(page_a.render(scale=dpi / 72).to_pil().convert("L"),
                                     page_b.render(scale=dpi / 72).to_pil().convert("L"))
        counts.append(sum(diff.point(lambda v: 255 if v > 128 else 0).histogram()[255:]))
    a.close()
    b.close()
    return counts


# layouts: 1 when every detail fits the line of its one-line place; 2 when one takes more
# lines or a taller line, and the document is also laid out with places that high.
@pytest.mark.parametrize("lang, name, options, layouts", [
    ("es", NAME, {}, 2),                           # on the card the date takes two lines
    ("ar", NAME, {"stock": "id1"}, 2),             # a Latin name in right-to-left lines
    ("ar", "محمد عبد الله", {"paper": "a4", "large_print": True}, 1),
    ("zh-Hans", NAME, {}, 2),                      # Latin in CJK lines: mixed line heights
    ("de", "Maximilian Alexander Freiherr von Hohenzollern-Sigmaringen", {}, 2),
])
def test_details_drawn_in_print_as_the_whole_layout(blinatumomab, lang, name, options,
                                                    layouts):
    pipeline = Pipeline()
    jobs = handout_and_card(blinatumomab, lang, personal(name), **options)
    stamped = pipeline.render_together(jobs).pdf
    whole = pipeline.lay_out_and_write(jobs).pdf
    assert stamped_places(stamped) == 8 and stamped_places(whole) == 0
    assert len(pipeline._kept) == layouts
    assert page_sizes(stamped) == page_sizes(whole)
    assert name in pdf_text(stamped)
    for number, (drawn, laid_out) in enumerate(zip(characters(stamped), characters(whole),
                                                   strict=True)):
        assert same_places(drawn, laid_out), f"page {number + 1}"
    # Only anti-aliasing may differ: no glyph moved, none is missing or extra.
    assert max(differing_pixels(stamped, whole)) <= 20


def test_drawn_details_are_tagged_in_reading_order(blinatumomab, pipeline):
    pdf = pipeline.render_together(handout_and_card(blinatumomab, "es", personal())).pdf
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert document.open_metadata().get("pdfuaid:part") == "1"
        nums = document.Root.StructTreeRoot.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        drawn = 0
        for page in document.pages:
            elements = tree[int(page.obj.StructParents)]
            assert not any(str(e.get("/Alt", "")).startswith("place:") for e in elements)
            operations = pikepdf.parse_content_stream(page)
            for number, (operands, operator) in enumerate(operations):
                if str(operator) == "Do" and str(operands[0]).startswith("/Place"):
                    # inside its own marked content, which a Span of the paragraph owns,
                    # right after the label's text
                    mark = next(ops for ops, op in reversed(operations[:number])
                                if str(op) == "BDC")
                    element = elements[int(mark[1].MCID)]
                    assert element.S == "/Span" and element.P.S == "/P"
                    kids = list(element.P.K)
                    assert kids.index(element) == len(kids) - 1 and len(kids) > 1
                    drawn += 1
        assert drawn == 8


def test_kept_layouts_hold_no_patient_data(blinatumomab):
    pipeline = Pipeline()
    first = pipeline.render_together(handout_and_card(blinatumomab, "es", personal())).pdf
    second = pipeline.render_together(
        handout_and_card(blinatumomab, "es", personal("Ann Lee"))).pdf
    assert NAME in pdf_text(first) and "Ann Lee" in pdf_text(second)
    assert NAME not in pdf_text(second)
    kept = list(pipeline._kept.values())
    assert kept
    for layout in kept:
        text = pdf_text(layout.prepared)
        assert NAME not in text and "Ann Lee" not in text and "Ward 7" not in text
        assert "555 010" not in text and "marzo" not in text
        assert NAME not in repr(layout.places) and "Ward 7" not in repr(layout.places)


def test_same_details_give_the_same_bytes(blinatumomab):
    jobs = handout_and_card(blinatumomab, "ar", personal())
    first, second = Pipeline(), Pipeline()
    assert first.render_together(jobs).pdf == second.render_together(jobs).pdf
    assert first.render_together(jobs).pdf == second.render_together(jobs).pdf  # kept


def test_template_printing_a_detail_itself_gets_the_whole_layout(blinatumomab, tmp_path):
    # A clinic's template that prints the patient's name outside its place: the kept
    # layout cannot be made, and the document is laid out whole, name and all.
    back = (TEMPLATES_DIR / "card_back.html").read_text()
    assert "{{ patient() }}" in back
    (tmp_path / "card_back.html").write_text(
        back.replace("{{ patient() }}", '<p class="own">For {{ patient_name }}</p>'))
    pipeline = Pipeline(template_dirs=[tmp_path])
    jobs = handout_and_card(blinatumomab, "en", personal())
    rendered = pipeline.render_together(jobs).pdf
    assert stamped_places(rendered) == 0
    assert rendered == pipeline.lay_out_and_write(jobs).pdf
    assert f"For {NAME}" in pdf_text(rendered)


PATIENT_LINE = ('<p class="filled patient"><span class="label">{{ _("Patient:") }}</span>')


@pytest.mark.parametrize("styled", [
    # Padding on a label moves the value; the overlay does not copy padding, so its label
    # would end elsewhere than the kept layout's.
    '<p class="filled patient"><span class="label" style="padding-right: 6px">'
    '{{ _("Patient:") }}</span>',
    # An underlined paragraph: a text property the overlay does not write out.
    '<p class="filled patient" style="text-decoration: underline"><span class="label">'
    '{{ _("Patient:") }}</span>',
])
def test_paragraph_styled_beyond_what_the_overlay_copies_gets_the_whole_layout(
        blinatumomab, tmp_path, styled):
    macros = (TEMPLATES_DIR / "macros.html").read_text()
    assert PATIENT_LINE in macros
    (tmp_path / "macros.html").write_text(macros.replace(PATIENT_LINE, styled))
    pipeline = Pipeline(template_dirs=[tmp_path])
    jobs = handout_and_card(blinatumomab, "en", personal())
    rendered = pipeline.render_together(jobs).pdf
    assert stamped_places(rendered) == 0
    assert rendered == pipeline.lay_out_and_write(jobs).pdf


def test_clinic_team_stays_in_the_kept_layout_and_the_name_is_drawn_in(blinatumomab):
    # The clinic's care team is part of the document; only what the nurse wrote is drawn.
    clinic = load_clinic(FIXTURES / "clinic" / "clinic.yaml")
    pipeline = Pipeline()
    jobs = [Job(blinatumomab, "fr", kind, clinic=clinic, personal=Personal("Ann Lee"))
            for kind in ("handout", "card")]
    stamped = pipeline.render_together(jobs).pdf
    whole = pipeline.lay_out_and_write(jobs).pdf
    assert stamped_places(stamped) == 2
    assert clinic.clinic.phone_24h in pdf_text(next(iter(pipeline._kept.values())).prepared)
    for drawn, laid_out in zip(characters(stamped), characters(whole), strict=True):
        assert same_places(drawn, laid_out)


def test_a_new_place_height_lays_out_only_the_document_it_is_in(blinatumomab):
    # A long name takes two lines on the card but one on the handout: the second patient
    # needs a new kept layout, in which only the card is laid out again.
    pipeline = Pipeline()
    for name in ("Ann Lee", "Maximilian Alexander Freiherr von Hohenzollern-Sigmaringen"):
        jobs = handout_and_card(blinatumomab, "en", personal(name))
        stamped = pipeline.render_together(jobs).pdf
        assert stamped_places(stamped) == 8
        for drawn, laid_out in zip(characters(stamped),
                                   characters(pipeline.lay_out_and_write(jobs).pdf),
                                   strict=True):
            assert same_places(drawn, laid_out)
    assert len(pipeline._kept) == 2            # one-line places; two lines for the name
    assert len(pipeline._kept_documents) == 3  # the handout once, the card both ways


def test_details_that_shrink_the_card_text_get_the_whole_layout(blinatumomab):
    # A long name and a long date take two lines each on a Spanish card, which then fits
    # only in smaller text; the details were measured in the larger text, so they are not
    # drawn in: the whole layout steps the card text down with them.
    pipeline = Pipeline()
    jobs = handout_and_card(blinatumomab, "es", personal(
        "Maximilian Alexander Freiherr von Hohenzollern-Sigmaringen"))
    rendered = pipeline.render_together(jobs).pdf
    assert stamped_places(rendered) == 0
    assert rendered == pipeline.lay_out_and_write(jobs).pdf
