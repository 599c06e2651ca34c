"""A clinic adds a language that is not among handouts' own with one command, translates
its catalogues, and builds: right to left where the language is (Hebrew), in its own
script's font (Amharic), and without any change to the package."""

import re
import shutil
import tomllib

import polib
import pytest

from handouts.batch import InlineExecutor
from handouts.clinic import load_clinic
from handouts.compose import Job, Personal
from handouts.content import load_all
from handouts.errors import RenderError
from handouts.fingerprint import tree_digest
from handouts.languages import LANGUAGES, use_content
from handouts.locations import CONTENT_DIR, PACKAGE_DIR
from handouts.pipeline import Pipeline
from handouts.verify import embedded_font_names
from handouts.web import create_app

from .conftest import pdf_text, run_cli
from .pdftext import char_boxes, squash, visual_lines

# Words to stand in for a translator's: enough to set each language in its own script.
WORDS = {"he": "מידע חשוב למטופל", "am": "ለታካሚው አስፈላጊ መረጃ"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _translate(path, words: str) -> int:
    """Fill every entry of a PO file as a translator would, keeping its placeholders."""
    po = polib.pofile(str(path))
    for entry in po:
        entry.msgstr = " ".join([words, *PLACEHOLDER.findall(entry.msgid)])
    po.save()
    return len(po)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A content folder of the clinic's own, with Hebrew and Amharic added and
    translated; handouts' package must not change meanwhile."""
    before = tree_digest(PACKAGE_DIR, {"__pycache__"})
    content = tmp_path_factory.mktemp("clinic") / "content"
    shutil.copytree(CONTENT_DIR / "blinatumomab", content / "blinatumomab")
    for po in (content / "blinatumomab" / "locale").glob("*.po"):
        po.unlink()
    outputs = {}
    for lang in WORDS:
        result = run_cli("i18n", "add-language", lang, "--content", content)
        assert result.returncode == 0, result.stderr
        outputs[lang] = result.stdout
        written = [line.strip() for line in result.stdout.splitlines()[1:-1]]
        for path in written[1:]:
            assert _translate(path, WORDS[lang]) > 10
    out = content.parent / "dist"
    built = run_cli("build", "blinatumomab", "--content", content, "--out", out)
    assert built.returncode == 0, built.stderr
    yield content, out, outputs
    use_content(None)
    assert tree_digest(PACKAGE_DIR, {"__pycache__"}) == before, "the package changed"


def test_the_command_registers_the_language_from_cldr(clinic):
    content, _, outputs = clinic
    registry = tomllib.loads((content / "languages.toml").read_text())["languages"]
    assert "he" not in LANGUAGES and "am" not in LANGUAGES
    assert registry["he"]["direction"] == "rtl" and registry["he"]["script"] == "Hebr"
    assert registry["he"]["fonts"][0] == "Noto Sans Hebrew"
    assert registry["am"]["direction"] == "ltr" and registry["am"]["script"] == "Ethi"
    assert registry["am"]["fonts"][0] == "Noto Sans Ethiopic"
    # It names every file it wrote: the registry, the template and drug catalogues.
    assert "added he (עברית): Hebr script, right to left" in outputs["he"]
    for path in ("languages.toml", "locale/he/LC_MESSAGES/messages.po", "locale/he.po"):
        assert path in outputs["he"]


def test_the_added_languages_are_listed_and_built(clinic):
    content, out, _ = clinic
    listed = run_cli("list", "--content", content)
    assert "he (עברית)" in listed.stdout and "am (አማርኛ)" in listed.stdout
    for lang, font in (("he", "NotoSansHebrew"), ("am", "NotoSansEthiopic")):
        for kind in ("handout", "card"):
            pdf = (out / "blinatumomab" / lang / f"{kind}.pdf").read_bytes()
            assert any(name.startswith(font) for name in embedded_font_names(pdf))
            assert pdf_text(pdf).count(WORDS[lang].split()[0]) > 3


def test_the_added_right_to_left_language_reads_right_to_left(clinic):
    content, out, _ = clinic
    handout = (out / "blinatumomab" / "he" / "handout.pdf").read_bytes()
    chars, width = char_boxes(handout)
    hebrew = [box for c, box, _ in chars if "\u05d0" <= c <= "\u05ea"]
    # Lines start at the right margin (0.75 in), not the left.
    assert max(right for _, _, right, _ in hebrew) > width - 0.75 * 72 - 4
    # The web address, a left-to-right run in a right-to-left line, reads left to right
    # with its slash at its own end, on the handout and the card.
    url = "https://www.blincyto.com/"
    for kind in ("handout", "card"):
        pdf = (out / "blinatumomab" / "he" / f"{kind}.pdf").read_bytes()
        printed = [line for line in visual_lines(pdf) if "blincyto.com" in line]
        assert printed and all(url in line for line in printed), (kind, printed)
    # Each dated English citation reads in order with its full stop at its end.
    text = squash(" ".join(visual_lines(handout))).replace("\ufffe", "").replace("-", "")
    sources = load_all(content, ["blinatumomab"])[0].drug.sources
    dated = [source for source in sources if source.date]
    assert dated
    for source in dated:
        start = squash(f"{source.title}. {source.publisher}, {source.date.isoformat()}.")
        assert start.replace("-", "") in text, source.id


def test_a_catalogue_of_an_unknown_language_is_an_error(clinic, tmp_path):
    content, _, _ = clinic
    other = tmp_path / "content"
    shutil.copytree(content, other)
    (other / "languages.toml").unlink()
    for command in (["check"], ["build", "--all", "--out", tmp_path / "out"]):
        result = run_cli(*command, "--content", other)
        assert result.returncode == 1
        assert "blinatumomab/locale/he.po: 'he' is not a language handouts knows" in result.stderr
        assert "handouts i18n add-language he --content" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_script_without_a_font_is_one_clear_error(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "blinatumomab", content / "blinatumomab")
    result = run_cli("i18n", "add-language", "bo", "--content", content)  # Tibetan
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "no installed font has the Tibetan script (Tibt): characters U+0F" in lines[0]
    assert "fonts/ in the content folder" in lines[0]
    assert not (content / "languages.toml").exists()


def test_an_unknown_tag_or_a_known_language_is_refused(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "blinatumomab", content / "blinatumomab")
    unknown = run_cli("i18n", "add-language", "xx-nope", "--content", content)
    assert unknown.returncode == 1 and "not a language CLDR knows" in unknown.stderr
    known = run_cli("i18n", "add-language", "ar", "--content", content)
    assert known.returncode == 1 and "'ar' is already a language" in known.stderr
    package = run_cli("i18n", "add-language", "he", "--content", CONTENT_DIR)
    assert package.returncode == 1 and "content folder of your own" in package.stderr


def _yi_font(path, family: str, weight: int) -> None:
    """A small font of the Yi syllables (U+A000-U+A48C), one square a letter, plus a
    space: a script no bundled font has, as a clinic's own font would bring it."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    letters = {0x20: "space", **{code: f"yi{code:04X}" for code in range(0xA000, 0xA48D)}}
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", *letters.values()])
    builder.setupCharacterMap(letters)
    pen = TTGlyphPen(None)
    for x, y in ((100, 0), (100, 700), (600, 700), (600, 0)):
        (pen.moveTo if x == 100 and y == 0 else pen.lineTo)((x, y))
    pen.closePath()
    square, empty = pen.glyph(), TTGlyphPen(None).glyph()
    builder.setupGlyf(
        {".notdef": square, "space": empty, **dict.fromkeys(letters.values(), square)}
    )
    builder.setupHorizontalMetrics({name: (700, 100) for name in builder.font.getGlyphOrder()})
    builder.setupHorizontalHeader(ascent=900, descent=-200)
    style = "Bold" if weight == 700 else "Regular"
    builder.setupNameTable(
        {"familyName": family, "styleName": style, "psName": f"ClinicYi-{style}"}
    )
    builder.setupOS2(usWeightClass=weight, sTypoAscender=900, sTypoDescender=-200)
    builder.setupPost()
    builder.save(path)


def test_a_clinic_font_brings_a_script_and_is_embedded(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "blinatumomab", content / "blinatumomab")
    for po in (content / "blinatumomab" / "locale").glob("*.po"):
        po.unlink()
    (content / "fonts").mkdir()
    for weight, style in ((400, "Regular"), (700, "Bold")):
        _yi_font(content / "fonts" / f"ClinicYi-{style}.ttf", "Clinic Yi", weight)
    (content / "languages.toml").write_text(
        '[families."Clinic Yi"]\nregular = "fonts/ClinicYi-Regular.ttf"\n'
        'bold = "fonts/ClinicYi-Bold.ttf"\n'
    )
    added = run_cli("i18n", "add-language", "ii", "--content", content)
    assert added.returncode == 0, added.stderr
    assert "fonts Clinic Yi, Atkinson Hyperlegible Next" in added.stdout
    for line in added.stdout.splitlines()[2:-1]:
        _translate(line.strip(), "ꆈꌠ ꉙ ꑍꆪ")
    out = tmp_path / "out"
    built = run_cli("build", "blinatumomab", "--lang", "ii", "--content", content, "--out", out)
    assert built.returncode == 0, built.stderr
    for kind in ("handout", "card"):
        pdf = (out / "blinatumomab" / "ii" / f"{kind}.pdf").read_bytes()
        assert {"ClinicYi-Regular", "ClinicYi-Bold"} <= embedded_font_names(pdf)
        assert "ꆈꌠ" in pdf_text(pdf)


def test_a_clinic_font_folder_prints_a_name_no_bundled_font_has(tmp_path, blinatumomab):
    # clinic.yaml fonts: a folder of the clinic's own fonts, tried before the bundled
    # fallback fonts: a name in the Yi script prints on an English handout and card.
    (tmp_path / "fonts").mkdir()
    for weight, style in ((400, "Regular"), (700, "Bold")):
        _yi_font(tmp_path / "fonts" / f"ClinicYi-{style}.ttf", "Clinic Yi", weight)
    settings = tmp_path / "clinic.yaml"
    settings.write_text('name: Riverside\nphone_24h: "+1 555 010 0199"\nfonts: fonts\n')
    who = Personal("ꆈꌠ ꉙ", "Ward 7", "", None)
    try:
        with pytest.raises(RenderError, match="patient_name: a character in it cannot be printed"):
            Pipeline().render_together(
                [Job(blinatumomab, "en", k, personal=who) for k in ("handout", "card")]
            )
        clinic = load_clinic(settings)
        jobs = [
            Job(blinatumomab, "en", k, personal=who, clinic=clinic) for k in ("handout", "card")
        ]
        for pdf in (
            Pipeline().render_together(jobs).pdf,
            Pipeline().lay_out_and_write(jobs).pdf,
        ):
            assert "ClinicYi-Regular" in embedded_font_names(pdf)
            assert pdf_text(pdf).count("ꆈꌠ ꉙ") == 2
    finally:
        use_content(CONTENT_DIR, None)


def test_a_clinic_font_folder_with_a_family_half_there_is_an_error(tmp_path):
    (tmp_path / "fonts").mkdir()
    _yi_font(tmp_path / "fonts" / "ClinicYi-Regular.ttf", "Clinic Yi", 400)
    settings = tmp_path / "clinic.yaml"
    settings.write_text('name: Riverside\nphone_24h: "+1 555 010 0199"\nfonts: fonts\n')
    result = run_cli(
        "build", "blinatumomab", "--lang", "en", "--clinic", settings, "--out", tmp_path / "out"
    )
    assert result.returncode == 1
    assert "clinic.yaml:3:8: fonts:" in result.stderr
    assert "family 'Clinic Yi' has no bold file; add it" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_web_page_offers_and_prints_the_added_language(clinic):
    content, _, _ = clinic
    client = create_app(content, InlineExecutor()).test_client()
    catalog = client.get("/api/catalog").get_json()
    languages = {lang["tag"]: lang for lang in catalog["drugs"][0]["languages"]}
    assert languages["he"]["dir"] == "rtl" and languages["he"]["name"] == "עברית"
    assert 'lang="he" dir="rtl">עברית</option>' in client.get("/").get_data(as_text=True)
    response = client.post(
        "/api/documents",
        json={
            "drug": "blinatumomab",
            "lang": "he",
            "kinds": ["handout", "card"],
            "personalization": {"patient_name": "Nguyễn Thị Minh Khai"},
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Nguyễn Thị Minh Khai" in pdf_text(response.data)
    assert WORDS["he"].split()[0] in pdf_text(response.data)


def test_a_hand_edited_registry_with_a_wrong_locale_is_one_clear_error(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "blinatumomab", content / "blinatumomab")
    (content / "languages.toml").write_text(
        '[languages.he]\nscript = "Hebr"\ndirection = "rtl"\nlocale = "hebrew"\n'
        'fonts = ["Noto Sans Hebrew"]\nreadability = ""\n'
    )
    result = run_cli("list", "--content", content)
    assert result.returncode == 1
    assert "languages.toml: languages.he.locale: 'hebrew' is not a locale CLDR knows" in (
        result.stderr
    )
    assert "unexpected" not in result.stderr


def test_a_latin_language_is_set_in_one_design_and_a_regional_tag_finds_its_script(tmp_path):
    # Yoruba's letters with dots below are not all in Atkinson: the whole text is set in
    # Noto Sans, not Atkinson with borrowed letters. vi-VN takes vi's script from CLDR.
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "blinatumomab", content / "blinatumomab")
    yoruba = run_cli("i18n", "add-language", "yo", "--content", content)
    assert "added yo (Èdè Yorùbá): Latn script, left to right, fonts Noto Sans\n" in yoruba.stdout
    somali = run_cli("i18n", "add-language", "so", "--content", content)
    assert "fonts Atkinson Hyperlegible Next\n" in somali.stdout
    regional = run_cli("i18n", "add-language", "vi-VN", "--content", content)
    assert regional.returncode == 0, regional.stderr
    registry = tomllib.loads((content / "languages.toml").read_text())["languages"]
    assert registry["vi-VN"]["script"] == "Latn"
    assert sorted(p.name for p in content.iterdir()) == ["blinatumomab", "languages.toml", "locale"]
