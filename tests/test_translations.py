"""Every drug in all 16 languages, read back from the PDFs; the translation safety rules."""

import io
import re
import shutil
import unicodedata

import polib
import pypdfium2
import pytest
from pypdf import PdfReader

from handouts.catalogs import (
    WEB_ONLY_SECTIONS,
    is_critical,
    load_translation,
    section_of,
    translatable_strings,
)
from handouts.compose import Job
from handouts.content import load_all
from handouts.errors import RenderError
from handouts.fonts import bundled_postscript_names
from handouts.languages import LANGUAGES
from handouts.localize import localize
from handouts.locations import CONTENT_DIR, TEMPLATES_DIR
from handouts.pipeline import Pipeline
from handouts.verify import embedded_font_names

from .conftest import FIXTURES, build_all, edit_field, pdf_text, reviewed_template_folder, run_cli
from .pdftext import char_boxes, marked, opening, squash, visual_lines

# The script most letters of each language's documents must be in.
SCRIPTS = {
    "ar": ("ARABIC",),
    "zh-Hans": ("CJK",),
    "ja": ("CJK", "HIRAGANA", "KATAKANA"),
    "ko": ("HANGUL",),
    "ru": ("CYRILLIC",),
    "hi": ("DEVANAGARI",),
}
# A font each language's documents must embed, proving its stack was used.
FONTS = {
    "ar": "NotoSansArabic-Regular",
    "zh-Hans": "NotoSansCJKsc-Regular",
    "ja": "NotoSansCJKjp-Regular",
    "ko": "NotoSansCJKkr-Regular",
    "ru": "NotoSans-Regular",
    "vi": "NotoSans-Regular",
    "hi": "NotoSansDevanagari-Regular",
}
DRAFT_EN = "Draft translation — not reviewed"


@pytest.fixture(scope="session")
def every_language(tmp_path_factory, drugs, pipeline):
    out = tmp_path_factory.mktemp("all-languages")
    built = build_all(drugs, out, pipeline, langs=LANGUAGES)
    return {(b.drug, b.lang, b.kind): (out / b.path).read_bytes() for b in built}


def _letters_in(text: str, scripts: tuple[str, ...]) -> float:
    letters = [c for c in text if c.isalpha()]
    inside = [c for c in letters if unicodedata.name(c, "").startswith(scripts)]
    return len(inside) / len(letters)


def test_every_drug_language_and_kind_builds(every_language, drugs):
    assert len(every_language) == len(drugs) * len(LANGUAGES) * 2 == 64


@pytest.mark.parametrize("lang", LANGUAGES)
def test_text_is_in_the_language_and_lang_is_set(every_language, lang):
    for (drug, doc_lang, kind), pdf in every_language.items():
        if doc_lang != lang:
            continue
        text = pdf_text(pdf)
        if lang in SCRIPTS:
            # Drug names, web addresses and the English half of the draft notice stay in
            # Latin letters; every other letter must be in the language's script.
            non_latin = "".join(c for c in text if not unicodedata.name(c, "").startswith("LATIN"))
            assert _letters_in(non_latin, SCRIPTS[lang]) > 0.95, (drug, lang, kind)
            assert _letters_in(text, SCRIPTS[lang]) > 0.3, (drug, lang, kind)
        else:
            assert _letters_in(text, ("LATIN",)) > 0.9, (drug, lang, kind)
            if lang != "en":
                assert text != pdf_text(every_language[(drug, "en", kind)])
        if lang == "ja":  # Japanese, not Chinese: kana must be there
            assert _letters_in(text, ("HIRAGANA", "KATAKANA")) > 0.1
        root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
        assert root["/Lang"] == lang


def test_only_bundled_fonts_in_all_documents(every_language):
    bundled = bundled_postscript_names()
    for (drug, lang, kind), pdf in every_language.items():
        embedded = embedded_font_names(pdf)
        assert embedded <= bundled, (drug, lang, kind, embedded - bundled)
        if lang in FONTS:
            assert FONTS[lang] in embedded, (drug, lang, kind, embedded)


def test_no_missing_glyph_warnings(drugs, pipeline, caplog):
    # The build turns any WeasyPrint warning into an error; render a few scripts and
    # confirm WeasyPrint said nothing at all.
    caplog.set_level("WARNING", logger="weasyprint")
    for lang in ("ar", "hi", "ja", "ko", "zh-Hans", "vi", "ru"):
        pipeline.render(Job(drugs[0], lang, "handout"))
    assert [r for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_arabic_handout_runs_right_to_left(every_language):
    chars, width = char_boxes(every_language[("blinatumomab", "ar", "handout")])
    assert sum(1 for c, _, _ in chars if unicodedata.name(c, "").startswith("ARABIC")) > 500
    # Lines start at the right margin: group the characters into lines by baseline and,
    # for every line of text wider than a column, its right end is at the right margin.
    lines = {}
    for c, (left, _bottom, right, top), baseline in chars:
        if not c.isspace() and top < 740:  # leave out the page-margin boxes
            lines.setdefault(baseline, []).append((left, right))
    margin_right, text_width = width - 0.75 * 72, width - 1.5 * 72
    runs = []  # stretches of a line without a gap (two list columns are two runs)
    for line in lines.values():
        line.sort()
        start, end = line[0]
        for left, right in line[1:]:
            if left - end > 10:
                runs.append((start, end))
                start = left
            end = max(end, right)
        runs.append((start, end))
    wide = [(left, right) for left, right in runs if right - left > 0.55 * text_width]
    assert len(wide) >= 5
    assert all(right > margin_right - 24 for _, right in wide), wide
    assert not all(left < 0.75 * 72 + 24 for left, _ in wide)  # ragged on the left
    # The Latin title is on the right too, while the English one is on the left.
    title = [box for c, box, _ in chars[:40] if c in "Blinatumomab"]
    assert min(box[0] for box in title) > width / 2
    english, _ = char_boxes(every_language[("blinatumomab", "en", "handout")])
    assert min(box[0] for c, box, _ in english[:12] if c.isalpha()) < 0.75 * 72 + 2


@pytest.mark.parametrize("lang, first_side", [("en", "left"), ("ar", "right")])
def test_two_column_lists_run_in_the_writing_direction(every_language, drugs, lang, first_side):
    # The third and fourth symptoms of the first boxed warning (one line each) share a row;
    # the third is on the side where lines start.
    drug = next(d for d in drugs if d.id == "blinatumomab")
    symptoms = localize(drug, lang).drug.boxed_warnings[0].symptoms[2:4]
    document = pypdfium2.PdfDocument(every_language[("blinatumomab", lang, "handout")])
    textpage = document[0].get_textpage()
    text = textpage.get_text_range()
    # Where each item starts (its first characters: a long item wraps within its column).
    first, second = (textpage.get_charbox(text.index(symptom[:15])) for symptom in symptoms)
    document.close()
    assert abs(first[1] - second[1]) < 1  # one row
    assert (first[0] > second[0] + 100) == (first_side == "right")
    assert abs(first[0] - second[0]) > 100  # two columns


def test_draft_notice_on_every_page_and_card_side(every_language):
    es = polib.pofile(str(TEMPLATES_DIR / "locale/es/LC_MESSAGES/messages.po"))
    notice = es.find(DRAFT_EN).msgstr
    assert notice and notice != DRAFT_EN
    for kind in ("handout", "card"):
        document = pypdfium2.PdfDocument(every_language[("blinatumomab", "es", kind)])
        for page in document:
            text = " ".join(page.get_textpage().get_text_range().split())
            assert notice in text and DRAFT_EN in text, (kind, text[:200])
        document.close()
    assert DRAFT_EN not in pdf_text(every_language[("blinatumomab", "en", "handout")])


def test_reviewed_catalogue_has_no_draft_notice(tmp_path):
    # A reviewed content catalogue plus a reviewed copy of the template catalogue.
    templates = reviewed_template_folder(tmp_path / "templates")
    drug = load_all(FIXTURES / "reviewed" / "content")[0]
    pipeline = Pipeline(template_dirs=[templates])
    for kind, translated in (
        ("handout", "Fiebre de prueba"),
        ("card", "Puede causar fiebre de prueba"),
    ):
        text = pdf_text(pipeline.render(Job(drug, "es", kind)).pdf)
        assert translated in text
        assert DRAFT_EN not in text
        po = polib.pofile(str(templates / "locale/es/LC_MESSAGES/messages.po"))
        assert po.find(DRAFT_EN).msgstr not in text
    # The same content with the draft template catalogue is a draft again.
    text = pdf_text(Pipeline().render(Job(drug, "es", "card")).pdf)
    assert DRAFT_EN in text


@pytest.fixture
def edited_content(tmp_path):
    """A copy of the content whose first call-right-away symptom changed in English."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    field = ("call_right_away", 0, "symptoms", 0)
    old = load_all(content, ["inotuzumab-ozogamicin"])[0].drug.call_right_away[0].symptoms[0]
    new = old + " or a sudden change in weight"
    assert edit_field(content, "inotuzumab-ozogamicin", field, new) == old
    return content, old, new


def test_changed_english_is_stale_in_every_language(edited_content):
    content, old, new = edited_content
    drug = load_all(content, ["inotuzumab-ozogamicin"])[0]
    field = "call_right_away[0].symptoms[0]"
    for lang in LANGUAGES[1:]:
        status = load_translation(drug.path.parent, drug.drug, lang).status
        assert status.stale == [field], lang

    result = run_cli(
        "i18n", "update", "inotuzumab-ozogamicin", "--no-templates", "--content", content
    )
    assert result.returncode == 0, result.stderr
    for lang in LANGUAGES[1:]:
        po = polib.pofile(str(drug.path.parent / "locale" / f"{lang}.po"))
        entry = next(e for e in po if e.msgctxt == field)
        assert entry.fuzzy and entry.msgid == new and entry.previous_msgid == old, lang
        assert entry.msgstr, lang  # the old translation is kept for the translator


@pytest.mark.parametrize("update_first", [False, True])
def test_build_refuses_stale_languages(edited_content, tmp_path, update_first):
    content, old, new = edited_content
    if update_first:
        assert run_cli("i18n", "update", "--no-templates", "--content", content).returncode == 0
    out = tmp_path / "out"
    result = run_cli(
        "build", "inotuzumab-ozogamicin", "--kind", "card", "--content", content, "--out", out
    )
    assert result.returncode == 1
    for lang in LANGUAGES[1:]:
        assert (
            f"inotuzumab-ozogamicin [{lang}]: call_right_away[0].symptoms[0] (critical) "
            f"has a stale translation (the English changed since it was translated); "
            f"current English: {new!r}"
        ) in result.stderr
    # English is still built; no translated card is.
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == [
        "inotuzumab-ozogamicin/en/card.pdf"
    ]
    assert "Traceback" not in result.stderr


def test_check_strict_fails_on_stale(tmp_path, drugs):
    # On a fixture: `check` also lints the English, and this test is about staleness.
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "reviewed" / "content", content)
    assert run_cli("check", "--strict", "--content", content).returncode == 0
    edit_field(content, "testdrug", ("call_right_away", 0, "symptoms", 0), "Sample cough today")
    result = run_cli("check", "testdrug", "--strict", "--content", content)
    assert result.returncode == 1
    assert "testdrug\tes\t" in result.stdout and "1 stale" in result.stdout
    assert "Error: 1 translation with stale or missing strings (--strict)" in result.stderr
    # The bundled samples' translations are complete and current (what --strict asks).
    for drug in drugs:
        for lang in LANGUAGES[1:]:
            status = load_translation(drug.path.parent, drug.drug, lang).status
            assert not status.stale and not status.missing, (drug.id, lang)


def test_character_outside_the_fonts_is_named(tmp_path, pipeline):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    path = content / "testdrug" / "drug.yaml"
    path.write_text(
        path.read_text().replace("      - Pretend rash\n", "      - Pretend rash \U0001f9a0\n")
    )
    drug = load_all(content)[0]
    with pytest.raises(
        RenderError,
        match=r"testdrug/en/handout: boxed_warnings\[0\]\.symptoms\[1\]: no bundled font "
        r"has characters U\+1F9A0",
    ):
        pipeline.render(Job(drug, "en", "handout"))
    result = run_cli("build", "testdrug", "--content", content, "--out", tmp_path / "out")
    assert result.returncode == 1 and "U+1F9A0" in result.stderr


def test_fallback_is_marked_in_english(tmp_path, pipeline):
    # Non-critical English changed: error by default, English marked with --allow-fallback.
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    old = load_all(content, ["blinatumomab"])[0].drug.common_side_effects.items[2]
    edit_field(content, "blinatumomab", ("common_side_effects", "items", 2), old + " that lasts")
    drug = load_all(content, ["blinatumomab"])[0]
    with pytest.raises(Exception, match=r"common_side_effects.items\[2\] has a stale"):
        pipeline.render(Job(drug, "de", "handout"))
    text = pdf_text(pipeline.render(Job(drug, "de", "handout", allow_fallback=True)).pdf)
    assert f"EN {old} that lasts" in text
    assert "EN" in text.split(f"{old} that lasts")[0][-4:]


def _fallback_batches(fields: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """The fields to print in English together: those of one section (the rest of the
    document stays translated), apart from any two whose opening words could be read for
    each other's (a test could then find one field's mark before the other's text)."""
    sections: dict[str, list[list[tuple[str, str]]]] = {}
    for path, english in fields:
        batches = sections.setdefault(re.match(r"[a-z_]+", path).group(), [])
        for batch in batches:
            if not any(_confusable(english, other) for _, other in batch):
                batch.append((path, english))
                break
        else:
            batches.append([(path, english)])
    return [batch for batches in sections.values() for batch in batches]


def _confusable(one: str, other: str) -> bool:
    return squash(other).startswith(squash(opening(one))) or squash(one).startswith(
        squash(opening(other))
    )


@pytest.mark.parametrize(
    ("drug_id", "lang"), [("blinatumomab", "ar"), ("inotuzumab-ozogamicin", "de")]
)
def test_every_field_printed_in_english_carries_the_en_mark(tmp_path, pipeline, drug_id, lang):
    # Every non-critical field, section by section, loses its translation; the handout
    # and the card are built with fallback allowed, and wherever a field is printed, its
    # English must come right after an EN mark of its own (read from the characters'
    # positions: left to right in a right-to-left document too).
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    catalogue = content / drug_id / "locale" / f"{lang}.po"
    translated = catalogue.read_text(encoding="utf-8")
    drug = load_all(content, [drug_id])[0]
    fields = [
        (path, " ".join(english.split()))
        for path, english in translatable_strings(drug.drug)
        if not is_critical(path) and section_of(path) not in WEB_ONLY_SECTIONS
    ]
    assert len(fields) > 30
    unmarked = []
    for batch in _fallback_batches(fields):
        paths = {path for path, _ in batch}
        po = polib.pofile(translated, wrapwidth=0)
        for entry in po:
            if entry.msgctxt in paths:
                entry.msgstr = ""
        po.save(str(catalogue))
        assert localize(drug, lang, allow_fallback=True).fallback_fields == paths
        handout, card = (
            visual_lines(pipeline.render(Job(drug, lang, kind, allow_fallback=True)).pdf)
            for kind in ("handout", "card")
        )
        for path, english in batch:
            if not marked(handout, english):
                unmarked.append((path, "handout", english))
            # No card prints a non-critical field now; one that does must mark it. (Its
            # opening words, for a field that starts with the drug's names like the card.)
            if squash(opening(english, 24)) in squash(" ".join(card)) and not marked(card, english):
                unmarked.append((path, "card", english))
    assert not unmarked


def test_card_text_is_never_below_the_smallest_readable_size(every_language):
    for (drug, lang, kind), pdf in every_language.items():
        if kind != "card":
            continue
        document = pypdfium2.PdfDocument(pdf)
        sizes = []
        for page in document:
            textpage = page.get_textpage()
            sizes += [
                pypdfium2.raw.FPDFText_GetFontSize(textpage.raw, i)
                for i in range(textpage.count_chars())
                if not textpage.get_text_range(i, 1).isspace()
                and not pypdfium2.raw.FPDFText_IsGenerated(textpage.raw, i)
            ]
        document.close()
        assert min(sizes) >= 6.5 - 0.01, (drug, lang)
