"""The English handout, read back from the PDF."""

import pytest

from handouts.fonts import bundled_postscript_names
from handouts.verify import embedded_font_names

from .conftest import decode_qr_codes, page_sizes, pdf_text

LETTER = (612.0, 792.0)
A4 = (595.28, 841.89)


def _handouts(build_result):
    out, built = build_result
    return [(b, (out / b.path).read_bytes()) for b in built if b.kind == "handout"]


def test_one_handout_per_drug(letter_build, drugs):
    assert sorted(b.drug for b, _ in _handouts(letter_build)) == sorted(d.id for d in drugs)


@pytest.mark.parametrize("build_name, size", [("letter_build", LETTER), ("a4_build", A4)])
def test_page_size(request, build_name, size):
    for built, pdf in _handouts(request.getfixturevalue(build_name)):
        sizes = page_sizes(pdf)
        assert len(sizes) == built.pages >= 2
        assert all(abs(w - size[0]) < 0.5 and abs(h - size[1]) < 0.5 for w, h in sizes), sizes


def _normalise(text: str) -> str:
    return " ".join(text.split())


def test_text_has_every_boxed_warning_and_call_right_away_symptom(letter_build, drugs):
    by_id = {d.id: d.drug for d in drugs}
    for built, pdf in _handouts(letter_build):
        text = pdf_text(pdf)
        drug = by_id[built.drug]
        expected = [w.title for w in drug.boxed_warnings]
        expected += [s for w in drug.boxed_warnings for s in w.symptoms]
        expected += [g.title for g in drug.call_right_away]
        expected += [s for g in drug.call_right_away for s in g.symptoms]
        missing = [e for e in expected if _normalise(e) not in text]
        assert not missing, f"{built.path} lacks {missing}"


def test_footer_on_every_page(letter_build, drugs):
    import pypdfium2

    by_id = {d.id: d.drug for d in drugs}
    for built, pdf in _handouts(letter_build):
        drug = by_id[built.drug]
        document = pypdfium2.PdfDocument(pdf)
        pages = len(document)
        for number, page in enumerate(document, 1):
            text = _normalise(page.get_textpage().get_text_range())
            assert f"Page {number} of {pages}" in text
            assert f"Content version {drug.content_version}" in text
            assert "Last reviewed" in text and drug.names.generic.capitalize() in text
        document.close()


def test_only_bundled_fonts_are_embedded(letter_build):
    bundled = bundled_postscript_names()
    for built, pdf in _handouts(letter_build):
        embedded = embedded_font_names(pdf)
        assert embedded, built.path
        assert embedded <= bundled, f"{built.path} embeds {embedded - bundled}"
        assert "AtkinsonHyperlegibleNext-Regular" in embedded


def test_handout_qr_code_decodes_to_full_information_url(letter_build, drugs):
    by_id = {d.id: d.drug for d in drugs}
    for built, pdf in _handouts(letter_build):
        assert decode_qr_codes(pdf, dpi=150) == [by_id[built.drug].full_info_url["en"]]


def test_pdf_metadata(letter_build):
    import io

    from pypdf import PdfReader

    for _built, pdf in _handouts(letter_build):
        reader = PdfReader(io.BytesIO(pdf))
        assert "patient handout" in reader.metadata.title
        assert reader.metadata.subject
        assert reader.trailer["/Root"]["/Lang"] == "en"
        assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged
