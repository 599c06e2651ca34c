"""The language registry (handouts/languages.toml) is the one place languages and their
fonts are declared: the glyph checks and the stylesheet both come from it."""

import re

import pytest

from handouts.errors import HandoutsError
from handouts.fontcss import font_rules
from handouts.fonts import STACKS
from handouts.languages import LANGUAGES, direction, load_registry, registry
from handouts.locations import FONTS_DIR, TEMPLATES_DIR
from handouts.pdf import print_stylesheet


def test_the_stylesheet_declares_fonts_only_through_the_registry():
    css = (TEMPLATES_DIR / "print.css").read_text()
    assert "@font-face {" not in css and ":lang(" not in css
    for family in registry().families:
        assert family not in css
    assert print_stylesheet().startswith(font_rules())


def test_each_language_stack_in_the_stylesheet_is_the_one_the_glyph_check_uses():
    rules = dict(re.findall(r":lang\(([\w-]+)\) \{ --text-font: ([^;]+); \}", font_rules()))
    assert list(rules) == list(LANGUAGES)
    families = registry().families
    for lang in LANGUAGES:
        names = [name.strip('"') for name in rules[lang].split(", ")]
        assert (
            tuple((families[n].files["regular"], families[n].files["bold"]) for n in names)
            == STACKS[lang]
        )
    faces = re.findall(r"src: url\(file://([^)]+)\)", font_rules())
    assert faces and all(path.startswith(str(FONTS_DIR)) for path in faces)
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
