"""A patient's details drawn into a kept layout (handouts/stamp.py) must print exactly as
the whole layout with them would: same words in the same places, same tags, no trace of
the patient in what is kept."""

import datetime as dt
import hashlib
import io
import logging

import pikepdf
import pypdfium2
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import ImageChops

from handouts import stamp
from handouts.clinic import load_clinic
from handouts.compose import Job, Personal
from handouts.errors import RenderError
from handouts.fonts import missing_characters
from handouts.languages import LANGUAGES
from handouts.locations import TEMPLATES_DIR
from handouts.pipeline import Pipeline

from .conftest import FIXTURES, page_sizes, pdf_text
from .pdftext import visual_lines

NAME = "Zephyrine Quackenbush"


def personal(name=NAME):
    return Personal(name, "Dr Ada Byron, Ward 7", "+1 555 010 0199", dt.date(2026, 3, 9))


def handout_and_card(drug, lang, who, **options):
    return [Job(drug, lang, kind, personal=who, **options) for kind in ("handout", "card")]


def stamped_places(pdf: bytes) -> int:
    """How many overlay pages were drawn into places (0: the whole layout was written)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(
            {
                name
                for page in document.pages
                for name in page.obj.Resources.get("/XObject", {}).keys()
                if name.startswith("/Place")
            }
        )


def characters(pdf: bytes) -> list[list[tuple]]:
    """Each page's printed characters with their boxes (pt), as pdfium reads them."""
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for page in document:
        text = page.get_textpage()
        found = [
            (text.get_text_range(i, 1), *text.get_charbox(i)) for i in range(text.count_chars())
        ]
        pages.append(
            sorted(
                (c for c in found if c[0].strip()), key=lambda c: (c[0], round(c[2]), round(c[1]))
            )
        )
    document.close()
    return pages


def same_places(first: list[tuple], second: list[tuple], tolerance=0.05) -> bool:
    return len(first) == len(second) and all(
        a[0] == b[0] and all(abs(x - y) <= tolerance for x, y in zip(a[1:], b[1:], strict=True))
        for a, b in zip(first, second, strict=True)
    )


def differing_pixels(first: bytes, second: bytes, dpi=100) -> list[int]:
    """Per page, the pixels that differ by more than half the grey scale."""
    counts = []
    a, b = pypdfium2.PdfDocument(first), pypdfium2.PdfDocument(second)
    for page_a, page_b in zip(a, b, strict=True):
        diff = ImageChops.difference(
            page_a.render(scale=dpi / 72).to_pil().convert("L"),
            page_b.render(scale=dpi / 72).to_pil().convert("L"),
        )
        counts.append(sum(diff.point(lambda v: 255 if v > 128 else 0).histogram()[255:]))
    a.close()
    b.close()
    return counts


# layouts: 1 when every detail fits the line of its one-line place; 2 when one takes more
# lines or a taller line, and the document is also laid out with places that high.
@pytest.mark.parametrize(
    "lang, name, options, layouts",
    [
        ("es", NAME, {}, 2),  # on the card the date takes two lines
        ("ar", NAME, {"stock": "id1"}, 2),  # a Latin name in right-to-left lines
        ("ar", "محمد عبد الله", {"paper": "a4", "large_print": True}, 1),
        ("zh-Hans", NAME, {}, 2),  # Latin in CJK lines: mixed line heights
        ("de", "Maximilian Alexander Freiherr von Hohenzollern-Sigmaringen", {}, 2),
    ],
)
def test_details_drawn_in_print_as_the_whole_layout(blinatumomab, lang, name, options, layouts):
    pipeline = Pipeline()
    jobs = handout_and_card(blinatumomab, lang, personal(name), **options)
    stamped = pipeline.render_together(jobs).pdf
    whole = pipeline.lay_out_and_write(jobs).pdf
    assert stamped_places(stamped) == 8 and stamped_places(whole) == 0
    assert len(pipeline._kept) == layouts
    assert page_sizes(stamped) == page_sizes(whole)
    assert name in pdf_text(stamped)
    for number, (drawn, laid_out) in enumerate(
        zip(characters(stamped), characters(whole), strict=True)
    ):
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
                    mark = next(
                        ops for ops, op in reversed(operations[:number]) if str(op) == "BDC"
                    )
                    element = elements[int(mark[1].MCID)]
                    assert element.S == "/Span" and element.P.S == "/P"
                    kids = list(element.P.K)
                    assert kids.index(element) == len(kids) - 1 and len(kids) > 1
                    drawn += 1
        assert drawn == 8


def test_kept_layouts_hold_no_patient_data(blinatumomab):
    pipeline = Pipeline()
    first = pipeline.render_together(handout_and_card(blinatumomab, "es", personal())).pdf
    second = pipeline.render_together(handout_and_card(blinatumomab, "es", personal("Ann Lee"))).pdf
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
        back.replace("{{ patient() }}", '<p class="own">For {{ patient_name }}</p>')
    )
    pipeline = Pipeline(template_dirs=[tmp_path])
    jobs = handout_and_card(blinatumomab, "en", personal())
    rendered = pipeline.render_together(jobs).pdf
    assert stamped_places(rendered) == 0
    assert rendered == pipeline.lay_out_and_write(jobs).pdf
    assert f"For {NAME}" in pdf_text(rendered)


PATIENT_LINE = '<p class="filled patient"><span class="label">{{ _("Patient:") }}</span>'


@pytest.mark.parametrize(
    "styled",
    [
        # Padding on a label moves the value; the overlay does not copy padding, so its label
        # would end elsewhere than the kept layout's.
        '<p class="filled patient"><span class="label" style="padding-right: 6px">'
        '{{ _("Patient:") }}</span>',
        # An underlined paragraph: a text property the overlay does not write out.
        '<p class="filled patient" style="text-decoration: underline"><span class="label">'
        '{{ _("Patient:") }}</span>',
    ],
)
def test_paragraph_styled_beyond_what_the_overlay_copies_gets_the_whole_layout(
    blinatumomab, tmp_path, styled
):
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
    jobs = [
        Job(blinatumomab, "fr", kind, clinic=clinic, personal=Personal("Ann Lee"))
        for kind in ("handout", "card")
    ]
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
        for drawn, laid_out in zip(
            characters(stamped), characters(pipeline.lay_out_and_write(jobs).pdf), strict=True
        ):
            assert same_places(drawn, laid_out)
    assert len(pipeline._kept) == 2  # one-line places; two lines for the name
    assert len(pipeline._kept_documents) == 3  # the handout once, the card both ways


def test_details_that_shrink_the_card_text_get_the_whole_layout(blinatumomab):
    # A long name and a long date take two lines each on a Spanish card, which then fits
    # only in smaller text; the details were measured in the larger text, so they are not
    # drawn in: the whole layout steps the card text down with them.
    pipeline = Pipeline()
    jobs = handout_and_card(
        blinatumomab, "es", personal("Maximilian Alexander Freiherr von Hohenzollern-Sigmaringen")
    )
    rendered = pipeline.render_together(jobs).pdf
    assert stamped_places(rendered) == 0
    assert rendered == pipeline.lay_out_and_write(jobs).pdf


@pytest.mark.parametrize("stage", ["measure", "prepare", "stamp"])
def test_a_failure_in_drawing_details_in_gets_the_whole_layout(
    blinatumomab, monkeypatch, caplog, stage
):
    # A bug in the stamped path must not keep the nurse from printing, nor put the
    # patient's name in the log through the error's message.
    def broken(*args, **kwargs):
        raise KeyError("Jane Doe")

    monkeypatch.setattr(f"handouts.pipeline.{stage}", broken)
    pipeline = Pipeline()
    jobs = handout_and_card(blinatumomab, "en", personal("Jane Doe"))
    with caplog.at_level(logging.DEBUG):
        rendered = pipeline.render_together(jobs).pdf
    assert stamped_places(rendered) == 0
    assert rendered == pipeline.lay_out_and_write(jobs).pdf
    assert "Jane Doe" in pdf_text(rendered)
    warnings = [r for r in caplog.records if r.name == "handouts.stamp"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "KeyError" in warnings[0].getMessage() and not warnings[0].exc_info
    assert "Jane" not in caplog.text


def test_a_name_the_fonts_cannot_print_is_refused_not_laid_out_whole(blinatumomab, monkeypatch):
    # The nurse must hear of it: it is checked before anything is drawn in.
    monkeypatch.setattr("handouts.pipeline.measure", lambda *args: 1 / 0)
    jobs = handout_and_card(blinatumomab, "en", personal("Ann \u0f40ukova"))  # Tibetan
    with pytest.raises(
        RenderError, match=r"personalization\.patient_name: a character in it"
    ) as refused:
        Pipeline().render_together(jobs)
    assert "ukova" not in str(refused.value) and "U+0F40" not in str(refused.value)


def font_programs(pdf: bytes) -> dict[str, set[str]]:
    """The digests of the embedded font programs by font name, from every page and every
    form drawn on it, however deep."""
    programs, seen = {}, set()

    def walk(resources):
        for font in resources.get("/Font", {}).values():
            for member in [font, *font.get("/DescendantFonts", [])]:
                descriptor = member.get("/FontDescriptor")
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if descriptor is not None and key in descriptor:
                        programs.setdefault(str(descriptor.FontName), set()).add(
                            hashlib.sha256(descriptor[key].read_bytes()).hexdigest()
                        )
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                walk(xobject.get("/Resources", {}))

    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            walk(page.obj.get("/Resources", {}))
    return programs


def pages_drawn_into(pdf: bytes) -> list[int]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [
            number
            for number, page in enumerate(document.pages)
            if any(
                str(operator) == "Do" and str(operands[0]).startswith("/Place")
                for operands, operator in pikepdf.parse_content_stream(page)
            )
        ]


@pytest.mark.parametrize(
    "lang, name, team",
    [
        ("zh-Hans", "王小明 Wang Xiaoming", "Dr Ada Byron, Ward 7"),
        ("ja", "山田 太郎 Taro Yamada", "Dr Ada Byron, Ward 7"),
        # a CJK font only in details on later pages (the care team on the card's back)
        ("zh-Hans", "Ann Lee", "王医生, 7 病房"),
    ],
)
def test_no_two_font_programs_share_a_name(blinatumomab, lang, name, team):
    # A printer that keeps fonts by name would print one subset's codes with another's
    # glyphs: the overlay's subsets (CFF for the CJK fonts) are named after their own bytes.
    pipeline = Pipeline()
    who = Personal(name, team, "+1 555 010 0199", dt.date(2026, 3, 9))
    pdf = pipeline.render_together(handout_and_card(blinatumomab, lang, who)).pdf
    assert stamped_places(pdf) == 8 and len(pages_drawn_into(pdf)) > 1
    programs = font_programs(pdf)
    assert any("CJK" in font for font in programs)
    assert {font: len(digests) for font, digests in programs.items() if len(digests) > 1} == {}


def test_overlay_subsets_are_renamed_on_every_page_and_form(blinatumomab, pipeline):
    # WeasyPrint shares one font dictionary between pages; another writer may not. Here the
    # fonts are only in a form drawn on the second page.
    jobs = handout_and_card(blinatumomab, "zh-Hans", personal("王小明 Wang"))
    pipeline.render_together(jobs)
    kept = next(layout for layout in pipeline._kept.values() if layout)
    values = {place.key: "王小明 Wang" for place in kept.places}
    overlay = pipeline._overlay(kept.places, values, jobs[0]).write_pdf()
    with pikepdf.open(io.BytesIO(overlay)) as pdf:
        fonts = pdf.pages[0].obj.Resources.Font
        names = {str(font.BaseFont) for font in fonts.values()}
        assert len(pdf.pages) > 1 and any("CJK" in name for name in names)
        form = pdf.make_stream(
            b"",
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 1, 1],
            Resources=pikepdf.Dictionary(Font=fonts),
        )
        for page in pdf.pages:
            page.obj.Resources = pikepdf.Dictionary()
        pdf.pages[1].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fonts=form))
        stamp._rename_subsets(pdf)
        renamed = {str(font.BaseFont) for font in fonts.values()}
    assert len(renamed) == len(names) and not renamed & names


def _letters(*spans) -> str:
    """The characters of strings and (first, last) code point ranges."""
    return "".join(
        span if isinstance(span, str) else "".join(map(chr, range(span[0], span[1] + 1)))
        for span in spans
    )


# Names of many scripts, as (letters, the longest word); a language gets those letters its
# fonts have (names its fonts cannot print are refused, not drawn in).
SCRIPTS = {
    "Latin": (
        _letters(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'-",
            "áàâäãåçéèêëíìîïñóòôöõøúùûüýÿßłńśźżąęčďěňřšťůžőűğışÁÉÍÓÚÑÇŁŚŻŽČ",
        ),
        12,
    ),
    "Vietnamese": (_letters("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĐ"), 7),
    "Cyrillic": (_letters((0x0410, 0x044F), "ёЁ"), 12),
    "Arabic": (_letters((0x0621, 0x063A), (0x0641, 0x064A)), 8),
    "CJK": (_letters((0x4E00, 0x9FA5), (0x3041, 0x3096), (0x30A1, 0x30FA)), 4),
    "Korean": (_letters((0xAC00, 0xD7A3)), 4),
}
DEVANAGARI_CONSONANTS = _letters((0x0915, 0x0939))
DEVANAGARI_SIGNS = _letters((0x093E, 0x094C), "ं")


def _words(lang: str):
    words = []
    for letters, longest in SCRIPTS.values():
        drawable = "".join(c for c in letters if not missing_characters(c, lang))
        if len(drawable) >= 10:
            words.append(st.text(st.sampled_from(drawable), min_size=1, max_size=longest))
    if not missing_characters(DEVANAGARI_CONSONANTS + DEVANAGARI_SIGNS, lang):
        syllable = st.tuples(
            st.sampled_from(DEVANAGARI_CONSONANTS), st.sampled_from(["", *DEVANAGARI_SIGNS])
        )
        words.append(
            st.lists(syllable, min_size=1, max_size=4).map(
                lambda syllables: "".join(map("".join, syllables))
            )
        )
    return st.one_of(words)


def names(lang: str):
    """Names of one to three words, each in a script the language's fonts have."""
    return (
        st.lists(_words(lang), min_size=1, max_size=3)
        .map(lambda words: " ".join(words)[:80].strip())
        .filter(bool)
    )


def glyphs(pdf: bytes) -> list[list[tuple]]:
    """characters() of the PDF without its text layer (ToUnicode): pdfium reads each glyph
    as its code, so every glyph drawn is compared, whatever text it is mapped to."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for font in document.objects:
            if isinstance(font, pikepdf.Dictionary) and "/ToUnicode" in font:
                del font["/ToUnicode"]
        out = io.BytesIO()
        document.save(out)
    return characters(out.getvalue())


# WeasyPrint gives a glyph the text of the first cluster it is drawn in, and no text when it
# is not that cluster's first glyph; Devanagari clusters hold several glyphs, so the text of
# a Hindi PDF depends on what came first (test_hindi_text_layer_is_the_same_drawn_in_...).
# Its glyphs are compared instead of its text.
TEXT_LAYER_DEPENDS_ON_ORDER = {"hi"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_generated_names_print_as_the_whole_layout(blinatumomab, lang):
    pipeline, stamped = Pipeline(), []

    @settings(
        max_examples=4,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # shrinking a failure takes minutes
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(name=names(lang))
    def check(name):
        assert not missing_characters(name, lang)
        jobs = handout_and_card(blinatumomab, lang, personal(name))
        drawn = pipeline.render_together(jobs).pdf
        whole = pipeline.lay_out_and_write(jobs).pdf
        assert stamped_places(drawn) in (0, 8) and stamped_places(whole) == 0
        stamped.append(stamped_places(drawn) > 0)
        assert page_sizes(drawn) == page_sizes(whole)
        read = glyphs if lang in TEXT_LAYER_DEPENDS_ON_ORDER else characters
        for number, (a, b) in enumerate(zip(read(drawn), read(whole), strict=True)):
            assert same_places(a, b), f"page {number + 1}"
        assert max(differing_pixels(drawn, whole)) <= 20

    check()
    # A name that runs past its paragraph or shrinks the card's text gets the whole layout;
    # most are drawn in. Where the other details alone (with a one-letter name) already make
    # the card's text step down (Portuguese: the start date adds a line to a full card
    # front), every name does, and none is drawn in.
    shortest = pipeline.render_together(handout_and_card(blinatumomab, lang, personal("A")))
    if stamped_places(shortest.pdf):
        assert sum(stamped) * 2 >= len(stamped), stamped
    else:
        assert not any(stamped), stamped
        name_only = Personal("A", "", "", None)
        assert (
            stamped_places(
                pipeline.render_together(handout_and_card(blinatumomab, lang, name_only)).pdf
            )
            == 2
        )


@pytest.mark.xfail(
    strict=True,
    reason=(
        "WeasyPrint maps a glyph to the text of the first cluster it is drawn in: the whole "
        "layout's start date (9 मार्च 2026) draws च inside the cluster र्च first, so every च "
        "of the document gets no text and the reph ligature र्द reads as र्च; the kept layout, "
        "without the date, maps them right. The glyphs are the same (see glyphs())."
    ),
)
def test_hindi_text_layer_is_the_same_drawn_in_or_laid_out_whole(blinatumomab):
    pipeline = Pipeline()
    jobs = handout_and_card(blinatumomab, "hi", personal("A"))
    drawn = pipeline.render_together(jobs).pdf
    whole = pipeline.lay_out_and_write(jobs).pdf
    assert stamped_places(drawn) == 8
    assert all(same_places(a, b) for a, b in zip(glyphs(drawn), glyphs(whole), strict=True))
    assert "चक्कर" in pdf_text(drawn)  # dizziness, in the side effects
    assert all(same_places(a, b) for a, b in zip(characters(drawn), characters(whole), strict=True))


@pytest.mark.parametrize("lang", ["en", "ar", "de"])
def test_a_phone_number_is_never_broken_across_lines(drugs, pipeline, lang):
    # A long number on the card's narrow line moves to the next line whole, drawn in or
    # laid out whole: a nurse must not dial "+44 20 7946" and miss "0018".
    drug = next(d for d in drugs if d.id == "inotuzumab-ozogamicin")
    who = Personal("Ann Lee", "Ward 3", "+44 20 7946 0018 ext. 4471", dt.date(2026, 5, 1))
    jobs = handout_and_card(drug, lang, who)
    for pdf in (pipeline.render_together(jobs).pdf, pipeline.lay_out_and_write(jobs).pdf):
        printed = [line for line in visual_lines(pdf) if "7946" in line or "4471" in line]
        assert len(printed) == 2, printed  # the handout's and the card's
        assert all("+44 20 7946 0018 ext. 4471" in line for line in printed), printed
