"""Content lint rules: each finding as printed, file:line:col: level: field: message [rule]."""

import re
import shutil

import polib
import pytest

from handouts.catalogs import translatable_strings, update_catalog
from handouts.content import load_all
from handouts.lint import lint, lint_drug, signs

from .conftest import FIXTURES, run_cli

REPEAT_FIX = "or add it to intended_repeats: with a reason if the repeat is deliberate"
FIT = (
    "check that nothing was left out to make it fit; card text is never shortened to fit "
    "(see docs/content-format.md)"
)
# The summary, at grade 9.9 until its two medical names are listed under terms.
HARD_SUMMARY = (
    "Testdrug is for acute lymphoblastic leukemia that came back, "
    "and it can cause cytokine release syndrome."
)


def make_content(tmp_path, *edits: tuple[str, str]):
    """A copy of the valid fixture with text replaced; returns (content dir, drug.yaml)."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    path = content / "testdrug" / "drug.yaml"
    text = path.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return content, path


def findings(content) -> list[str]:
    return [str(f) for drug in load_all(content) for f in lint_drug(drug)]


def test_valid_fixture_has_no_findings(tmp_path):
    content, _ = make_content(tmp_path)
    assert findings(content) == []


@pytest.mark.parametrize(
    "common, field, line, col, sign, urgent",
    [
        (
            (
                "    - Mild boredom\n",
                "    - Mild boredom\n    - Tiredness, or FIXTURE FEVER (mild)\n",
            ),
            "common_side_effects.items[1]",
            38,
            7,
            "fixture fever",
            "boxed_warnings[0].symptoms[0], line 23",
        ),
        (
            (
                "side_effects_by_frequency: []\n",
                "side_effects_by_frequency:\n  - frequency: very_common\n    effects:\n"
                "      - Pretend rash\n    sources: [test-source]\n",
            ),
            "side_effects_by_frequency[0].effects[0]",
            42,
            9,
            "pretend rash",
            "boxed_warnings[0].symptoms[1], line 24",
        ),
    ],
)
def test_urgent_sign_listed_as_common(tmp_path, common, field, line, col, sign, urgent):
    content, path = make_content(tmp_path, common)
    assert findings(content) == [
        f"{path}:{line}:{col}: error: {field}: "
        f'"{sign}" is also a sign to call your care team right away ({urgent}); '
        f"remove it from the side effects, {REPEAT_FIX} [urgent-also-common]"
    ]


def test_a_frequency_list_may_name_an_urgent_sign_that_says_so(tmp_path):
    content, _ = make_content(
        tmp_path,
        (
            "side_effects_by_frequency: []\n",
            "side_effects_by_frequency:\n  - frequency: very_common\n    effects:\n"
            "      - Pretend rash (30%); call right away\n    sources: [test-source]\n",
        ),
    )
    assert findings(content) == []


def test_a_source_read_as_an_undated_copy_gives_the_day_it_was_read(tmp_path):
    content, path = make_content(tmp_path)
    text = path.read_text()
    dated = re.search(r"\n    date: [0-9-]+\n", text)
    assert dated
    path.write_text(text.replace(dated.group(0), "\n    accessed: 2026-11-22\n", 1))
    assert findings(content) == []


REPEATED = ("      - Imaginary chills\n", "      - Imaginary chills\n      - Fixture fever.\n")


def test_sign_in_two_urgent_groups(tmp_path):
    content, path = make_content(tmp_path, REPEATED)
    assert findings(content) == [
        f"{path}:31:9: error: call_right_away[0].symptoms[2]: "
        '"fixture fever" is already a sign to call right away under boxed_warnings[0] '
        f"(boxed_warnings[0].symptoms[0], line 23); list each sign once, {REPEAT_FIX} "
        "[repeated-sign]"
    ]


def test_intended_repeat_silences_both_repeat_rules(tmp_path):
    common = ("    - Mild boredom\n", "    - Mild boredom\n    - Fixture fever\n")
    content, _ = make_content(tmp_path, REPEATED, common)
    assert len(findings(content)) == 2
    path = content / "testdrug" / "drug.yaml"
    path.write_text(
        path.read_text() + "intended_repeats:\n  - sign: Fixture Fever\n"
        "    reason: Both a test reaction and the made-up warning; readers look under either.\n"
    )
    assert findings(content) == []


def test_unused_intended_repeat_is_an_error(tmp_path):
    content, path = make_content(tmp_path)
    path.write_text(
        path.read_text() + "intended_repeats:\n  - sign: Sample cough\n    reason: Once needed.\n"
    )
    assert findings(content) == [
        f'{path}:52:11: error: intended_repeats[0].sign: "Sample cough" is not repeated in '
        "the urgent signs or side effects; remove this entry [unused-intended-repeat]"
    ]


def test_source_without_date(tmp_path):
    content, path = make_content(tmp_path, ("    date: 2026-01-15\n", ""))
    assert findings(content) == [
        f"{path}:47:5: error: sources[0]: source 'test-source' has no date; add date: "
        "YYYY-MM-DD, the date of the version the facts were taken from, or, for a page "
        "without a date of its own, accessed: YYYY-MM-DD, the day its copy was read "
        "[undated-source]"
    ]


def test_section_above_reading_grade_8(tmp_path):
    summary = "summary: Testdrug is a made-up medicine used to test the handout builder.\n"
    content, path = make_content(tmp_path, (summary, f"summary: {HARD_SUMMARY}\n"))
    assert findings(content) == [
        f"{path}:10:1: error: summary: reading grade 9.9 is above 8; use shorter sentences "
        "and everyday words, or add an unavoidable medical name to terms: [reading-grade]"
    ]


def test_terms_are_left_out_of_the_grade(tmp_path):
    summary = "summary: Testdrug is a made-up medicine used to test the handout builder.\n"
    terms = "terms:\n  - Acute lymphoblastic leukemia\n  - cytokine release syndrome\n"
    content, _ = make_content(tmp_path, (summary, f"{terms}summary: {HARD_SUMMARY}\n"))
    assert findings(content) == []
    # Terms are notes for the writer: never translated.
    drug = load_all(content)[0].drug
    assert not [path for path, _ in translatable_strings(drug) if "terms" in path]


@pytest.mark.parametrize(
    "item, expected",
    [
        ("Fever or chills", ["fever", "chills"]),
        (
            "Back, bone, joint, or muscle pain",
            ["back pain", "bone pain", "joint pain", "muscle pain"],
        ),
        ("Pain in the arms or legs", ["pain in the arms", "pain in the legs"]),
        (
            "Trouble breathing, swallowing, or talking",
            ["trouble breathing", "trouble swallowing", "trouble talking"],
        ),
        ("Confusion, or not knowing where you are", ["confusion", "not knowing where you are"]),
        ("Bleeding (nose or gums) and bruising!", ["bleeding", "bruising"]),
        ("Very bad headache", ["very bad headache"]),
    ],
)
def test_signs_are_normalized(item, expected):
    assert signs(item) == expected


CUT_ENGLISH = "Can cause fixture fever"


@pytest.fixture
def cut_translation(tmp_path):
    """Four languages translate the test drug; the Spanish card warning was cut short."""
    content, _ = make_content(tmp_path)
    drug = load_all(content)[0]
    entries = translatable_strings(drug.drug)
    for lang in ("de", "es", "fr", "it"):
        path = content / "testdrug" / "locale" / f"{lang}.po"
        update_catalog(path, lang, entries, "test", key_by_context=True)
        po = polib.pofile(str(path), wrapwidth=0)
        for entry in po:
            entry.msgstr = f"{lang}: {entry.msgid}"
            if lang == "es" and entry.msgctxt == "card.warnings[0]":
                assert entry.msgid == CUT_ENGLISH
                entry.msgstr = "Fiebre"
        po.save(str(path))
    po_path = content / "testdrug" / "locale" / "es.po"
    line = po_path.read_text().splitlines().index('msgctxt "card.warnings[0]"') + 1
    expected = (
        f"{po_path}:{line}:1: warning: card.warnings[0]: the es translation is much shorter "
        "than in the other languages (0.22 against 1.00, each relative to its language's "
        f"usual length); {FIT} [short-translation]"
    )
    return content, expected


def test_translation_cut_to_fit_is_a_warning(cut_translation):
    content, expected = cut_translation
    found = [str(f) for f in lint(load_all(content)) if "testdrug" in f.file]
    assert found == [expected]


def test_warnings_do_not_fail_check(cut_translation):
    content, expected = cut_translation
    result = run_cli("check", "--content", content)
    assert result.returncode == 0, result.stderr
    assert expected in result.stderr.splitlines()
    assert re.search(r"1 drug checked; no problems found; \d+ lint warnings", result.stdout)


@pytest.mark.parametrize("strict", [[], ["--strict"]])
def test_errors_fail_check(tmp_path, strict):
    content, path = make_content(tmp_path, ("    date: 2026-01-15\n", ""))
    result = run_cli("check", *strict, "--content", content)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert f"{path}:47:5: error: sources[0]: source 'test-source' has no date" in lines[0]
    assert lines[-1] == (
        "Error: 1 lint error in the content (listed above); see docs/content-format.md"
    )
