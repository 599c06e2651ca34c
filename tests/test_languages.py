"""The language registry (handouts/languages.toml) is the one place languages and their
fonts are declared: the glyph checks and the stylesheet both come from it."""

import re

import pytest

from handouts.errors import HandoutsError
from handouts.fontcss import font_faces, font_rules
from handouts.fonts import coverage, fallback_families, family_coverage
from handouts.languages import LANGUAGES, direction, load_registry, registry
from handouts.locations import TEMPLATES_DIR
from handouts.pdf import print_stylesheet


def test_the_stylesheet_declares_fonts_only_through_the_registry():
    css = (TEMPLATES_DIR / "print.css").read_text()
    assert "@font-face {" not in css and ":lang(" not in css
    for family in registry().families:
        assert family not in css
    assert print_stylesheet().startswith(font_rules(registry()))


def test_each_language_stack_in_the_stylesheet_is_the_one_the_glyph_check_uses():
    reg = registry()
    every = reg.fallback
    rules = dict(
        re.findall(r":lang\(([\w-]+)\) \{ --text-font: ([^;]+); \}", font_rules(reg, every))
    )
    assert list(rules) == list(LANGUAGES)
    for lang in LANGUAGES:
        names = [name.strip('"') for name in rules[lang].split(", ")]
        # The language's own families first, then the fallback families asked for.
        assert names[: len(reg.languages[lang].fonts)] == list(reg.languages[lang].fonts)
        assert set(names) == set(reg.languages[lang].fonts) | set(reg.fallback)
        assert coverage(lang) == frozenset().union(*map(family_coverage, names))
    # The bundled fonts are found by fontconfig in handouts/fonts/, not by @font-face.
    assert "@font-face" not in font_rules(reg, every) + font_faces(reg)


def test_a_document_names_only_the_fallback_families_its_text_needs():
    assert fallback_families("Patient: Ann Lee", {"en"}) == ()
    assert fallback_families("Patient: Nguyễn Thị Minh Khai", {"en"}) == ("Noto Sans",)
    assert fallback_families("שרה 李小龍 Ιωάννης", {"en", "es"}) == (
        "Noto Sans",
        "Noto Sans Hebrew",
        "Noto Sans CJK SC",
    )
    # In Chinese, Han is the language's own; the Hebrew name needs its font.
    assert fallback_families("患者：שרה 李小龍", {"zh-Hans"}) == ("Noto Sans Hebrew",)
    assert direction("ar") == "rtl" and direction("ja") == "ltr"


def test_a_broken_registry_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "languages.toml"
    path.write_text(
        'source = "en"\n'
        '[families.Plain]\nregular = "plain.ttf"\n'
        '[languages.en]\nscript = "Latn"\ndirection = "ltr"\nlocale = "en"\n'
        'fonts = ["Plain"]\nreadability = ""\n'
        '[languages.he]\nscript = "Hebr"\ndirection = "right"\nlocale = "he"\n'
        'fonts = ["Noto Sans Hebrew"]\nreadability = "smog"\ncolour = 1\n'
    )
    with pytest.raises(HandoutsError) as caught:
        load_registry(path)
    lines = str(caught.value).splitlines()
    where = str(path)
    assert lines == [
        f"{where}: families.Plain: needs a bold file",
        f"{where}: languages.he.colour: unknown key; use script, direction, locale, fonts, "
        "readability",
        f"{where}: languages.he.readability: unknown formula 'smog'; use one of: "
        "flesch_kincaid_grade, fernandez_huerta, wiener_sachtextformel, gulpease_index, "
        'flesch_reading_ease, szigriszt_pazos, gunning_fog, or "" for none',
        f"{where}: languages.he.direction: 'right'; use ltr or rtl",
        f"{where}: languages.he.fonts: unknown family 'Noto Sans Hebrew'; add a "
        '[families."Noto Sans Hebrew"] table or use one of: Plain',
    ]


def test_a_registry_that_is_not_toml_names_the_file(tmp_path):
    path = tmp_path / "languages.toml"
    path.write_text("[languages\n")
    with pytest.raises(HandoutsError, match=r"languages.toml: cannot be read as TOML: .*line 1"):
        load_registry(path)
