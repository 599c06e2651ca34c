"""The wallet card, read back from the PDF."""

import shutil

import pytest

from handouts.compose import Job
from handouts.content import load_all
from handouts.errors import RenderError
from handouts.fonts import bundled_postscript_names
from handouts.verify import embedded_font_names

from .conftest import FIXTURES, decode_qr_codes, page_sizes, run_cli


def _cards(build_result):
    out, built = build_result
    return [(b, (out / b.path).read_bytes()) for b in built if b.kind == "card"]


def test_card_is_two_business_card_pages(letter_build):
    cards = _cards(letter_build)
    assert len(cards) == 2
    for built, pdf in cards:
        assert page_sizes(pdf) == [(252.0, 144.0), (252.0, 144.0)], built.path


def test_card_qr_decodes_to_full_information_url(letter_build, drugs):
    by_id = {d.id: d.drug for d in drugs}
    for built, pdf in _cards(letter_build):
        assert decode_qr_codes(pdf, dpi=300) == [by_id[built.drug].full_info_url["en"]]


def test_card_front_and_back_text(letter_build, drugs):
    import pypdfium2

    by_id = {d.id: d.drug for d in drugs}
    for built, pdf in _cards(letter_build):
        drug = by_id[built.drug]
        document = pypdfium2.PdfDocument(pdf)
        front, back = (" ".join(p.get_textpage().get_text_range().split()) for p in document)
        document.close()
        assert f"I am receiving {drug.names.generic.upper()}" in front
        for warning in drug.card.warnings:
            assert " ".join(warning.split()) in front
        assert "Show this card to any doctor, nurse or emergency staff." in front
        assert "My care team" in back and "24-hour phone:" in back
        assert drug.full_info_url["en"] in back


def test_card_fonts_are_bundled(letter_build):
    for _built, pdf in _cards(letter_build):
        assert embedded_font_names(pdf) <= bundled_postscript_names()


def test_card_that_does_not_fit_names_the_field(tmp_path, pipeline):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    drug_file = content / "testdrug" / "drug.yaml"
    long_warning = "Can cause a very long made-up reaction " * 25
    drug_file.write_text(
        drug_file.read_text().replace(
            "    - Can cause fixture fever\n",
            "    - Can cause fixture fever\n" + f"    - {long_warning.strip()}\n",
        )
    )
    drug = load_all(content)[0]
    with pytest.raises(
        RenderError,
        match=r"^testdrug/en/card: the card front does not fit, even at the smallest card "
        r"text \(6\.5 pt\): about \d+% of its text would have to go\. card\.warnings\[1\] "
        r"takes the most space \(.*/content/testdrug/drug\.yaml:43:7\): shorten it in the "
        r"English master by about \d+0 characters \(of 974\)\. Card text is never clipped, "
        r"and a translation is never cut to fit \(docs/content-format\.md, card\)$",
    ):
        pipeline.render(Job(drug, "en", "card"))

    result = run_cli(
        "build", "testdrug", "--kind", "card", "--content", content, "--out", tmp_path / "out"
    )
    assert result.returncode == 1
    assert "the card front does not fit" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
