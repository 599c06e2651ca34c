"""Right-to-left documents keep left-to-right runs in their own order: web addresses,
citations, phone numbers, the drug's names and English fallback text. Every test reads
the order from where the characters are printed (tests/pdftext.py), for every
right-to-left language of the registry that a sample drug is translated into."""

import datetime as dt
import re
import shutil
from urllib.parse import urlsplit

import polib
import pytest

from handouts.clinic import load_clinic
from handouts.compose import Job, Personal
from handouts.content import load_all
from handouts.languages import LANGUAGES, direction
from handouts.localize import localize
from handouts.locations import CONTENT_DIR, available_languages

from .conftest import edit_field
from .pdftext import closing, marked, squash, visual_lines

RTL = [lang for lang in LANGUAGES if direction(lang) == "rtl"]
DRUG_IDS = sorted(p.parent.name for p in CONTENT_DIR.glob("*/drug.yaml"))
CASES = [
    (drug_id, lang)
    for drug_id in DRUG_IDS
    for lang in RTL
    if lang in available_languages(CONTENT_DIR / drug_id)
]
KINDS = ("handout", "card")


def test_a_shipped_language_is_right_to_left():
    assert CASES  # otherwise every test below would be skipped


@pytest.fixture(scope="module")
def documents(drugs, pipeline):
    """The shipped right-to-left handouts and cards, each as its printed lines."""
    by_id = {d.id: d for d in drugs}
    return {
        (drug_id, lang, kind): visual_lines(pipeline.render(Job(by_id[drug_id], lang, kind)).pdf)
        for drug_id, lang in CASES
        for kind in KINDS
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("drug_id", "lang"), CASES)
def test_web_address_reads_left_to_right(documents, drugs, drug_id, lang, kind):
    urls = next(d for d in drugs if d.id == drug_id).drug.full_info_url
    url = urls.get(lang, urls["en"])
    printed = [line for line in documents[(drug_id, lang, kind)] if urlsplit(url).hostname in line]
    assert printed and all(url in line for line in printed), printed


def _unbroken(lines: list[str]) -> str:
    # Lines one after the other, without spaces or hyphens: a wrapped citation or address
    # reads on (pdfium reads a hyphen at a line's end as a soft one, and may drop it).
    return squash(" ".join(lines)).replace("\ufffe", "").replace("-", "")


@pytest.mark.parametrize(("drug_id", "lang"), CASES)
def test_citations_read_in_order_with_their_full_stop_at_their_end(documents, drugs, drug_id, lang):
    text = _unbroken(documents[(drug_id, lang, "handout")])
    sources = next(d for d in drugs if d.id == drug_id).drug.sources
    for source in sources:
        start = _unbroken([f"{source.title}. {source.publisher},"])
        if source.date:
            assert start + _unbroken([source.date.isoformat()]) + "." in text, source.id
        else:
            # "accessed DATE" is in the document's language, in its own direction, with
            # the date in Latin digits left to right; the citation's full stop follows.
            found = re.search(re.escape(start) + r"([^.]*)\.", text)
            assert found, source.id
            assert _unbroken([source.accessed.isoformat()]) in found.group(1), found.group(0)
        if source.url:
            assert _unbroken([source.url]) in text, source.id
    assert any(s.accessed for s in sources) or any(s.date for s in sources)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """blinatumomab under names that a right-to-left line would print out of order: a
    generic name that starts with a digit (like 5-fluorouracil) and a brand with ®."""
    content = tmp_path_factory.mktemp("renamed") / "content"
    shutil.copytree(CONTENT_DIR, content)
    edit_field(content, "blinatumomab", ("names", "generic"), "5-fluorouracil")
    drug = load_all(content, ["blinatumomab"])[0]
    for index in range(len(drug.drug.names.brands)):
        edit_field(content, "blinatumomab", ("names", "brands", index, "name"), "BLINCYTO®")
    return load_all(content, ["blinatumomab"])[0]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", [lang for drug_id, lang in CASES if drug_id == "blinatumomab"])
def test_drug_and_brand_names_read_left_to_right(renamed, pipeline, lang, kind):
    # pdfium's text layer reads a ® in some right-to-left lines as the letter R; the test
    # reads it so too, wherever it is printed.
    lines = [
        line.replace("®", "R")
        for line in visual_lines(pipeline.render(Job(renamed, lang, kind)).pdf)
    ]
    # The generic name: title, footers and the QR code's caption on the handout; the
    # front's "I am receiving" and the back's caption on the card.
    generic = [line for line in lines if "fluorouracil" in line.lower()]
    assert len(generic) >= 2, lines
    assert all("5-fluorouracil" in line.lower() for line in generic), generic
    # The brand: after "Brand name:" on the handout, in brackets on the card's front.
    brand = [line for line in lines if re.search("R ?BLINCYTO|BLINCYTO ?R", line)]
    assert brand and all("BLINCYTOR" in line for line in brand), brand
    if kind == "card":
        assert any(re.search(r"[()]BLINCYTOR[()]", line) for line in brand), brand


@pytest.mark.parametrize(("drug_id", "lang"), CASES)
def test_phone_numbers_read_left_to_right(drugs, pipeline, tmp_path, drug_id, lang):
    # Patient details and the clinic's settings, drawn into the kept layout and laid out
    # whole. A phone number has no letters: in a right-to-left line it would print back
    # to front unless isolated.
    drug = next(d for d in drugs if d.id == drug_id)
    who = Personal("فاطمة الزهراء", "Ward 7 (east)", "+1 555 010 0199", dt.date(2026, 3, 9))
    settings = tmp_path / "clinic.yaml"
    settings.write_text('name: Riverside Cancer Center (East)\nphone_24h: "+1 555 010 0177"\n')
    clinic = load_clinic(settings)
    personal = [Job(drug, lang, kind, personal=who) for kind in KINDS]
    from_clinic = [Job(drug, lang, kind, clinic=clinic) for kind in KINDS]
    for jobs, phone, team in (
        (personal, "+1 555 010 0199", "Ward 7 (east)"),
        (from_clinic, "+1 555 010 0177", "Riverside Cancer Center (East)"),
    ):
        for pdf in (pipeline.render_together(jobs).pdf, pipeline.lay_out_and_write(jobs).pdf):
            lines = visual_lines(pdf)
            printed = [line for line in lines if "555" in line]
            assert len(printed) == 2 and all(phone in line for line in printed), printed
            named = [line for line in lines if team.split()[0] in line]
            assert len(named) == 2, named
            assert all(squash(team) in squash(line) for line in named), named


# One field of each way a field is printed: a paragraph (summary), a list item
# (treats), an item of a two-column list (common side effects), text after a label in a
# line (pronunciation, a reminder's text) and a bold label (a reminder's title).
FALLBACK = (
    "summary",
    "treats.items[0]",
    "common_side_effects.items[0]",
    "names.pronunciation",
    "safety_reminders[0].text",
    "safety_reminders[1].title",
)


@pytest.mark.parametrize(("drug_id", "lang"), CASES)
def test_english_fallback_reads_left_to_right(tmp_path, pipeline, drug_id, lang):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    catalogue = content / drug_id / "locale" / f"{lang}.po"
    po = polib.pofile(str(catalogue), wrapwidth=0)
    for entry in po:
        if entry.msgctxt in FALLBACK:
            entry.msgstr = ""
    po.save()
    drug = load_all(content, [drug_id])[0]
    assert localize(drug, lang, allow_fallback=True).fallback_fields == set(FALLBACK)
    english = {entry.msgctxt: entry.msgid for entry in po}
    lines = visual_lines(pipeline.render(Job(drug, lang, "handout", allow_fallback=True)).pdf)
    for path in FALLBACK:
        text = " ".join(english[path].split())
        # Its opening words right after the EN mark, brackets included, left to right...
        assert marked(lines, text, length=24), (path, lines)
        # ...and its closing words with its own full stop or bracket at their right end.
        end = closing(text, 16)
        assert any(squash(end) in squash(line) for line in lines), (path, end)
