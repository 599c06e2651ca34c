"""Broken content: every problem at once, each as file:line:col: field: message."""

import shutil

from .conftest import FIXTURES, run_cli

BROKEN = "tests/fixtures/broken"

EXPECTED = f"""\
{BROKEN}/bad-date/drug.yaml:3:16: last_reviewed: not a valid date; write it as YYYY-MM-DD
{BROKEN}/bad-yaml/drug.yaml:7:9: YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow sequence that starts at 6:18)
{BROKEN}/empty-list/drug.yaml:22:15: boxed_warnings[0].symptoms: must not be empty; add at least one item
{BROKEN}/http-url/drug.yaml:45:7: full_info_url.en: must be a full https:// address (plain http and other schemes are not allowed)
{BROKEN}/missing-section/drug.yaml:2:1: call_right_away: required field is missing; add it
{BROKEN}/unknown-key/drug.yaml:21:5: boxed_warnings[0].titel: unknown key; check its spelling against docs/content-format.md
{BROKEN}/unknown-source/drug.yaml:25:28: boxed_warnings[0].sources[1]: unknown source 'fda-label'; add it under sources or use one of: test-source
{BROKEN}/unknown-source/drug.yaml:31:28: call_right_away[0].sources[1]: unknown source 'fda-label'; add it under sources or use one of: test-source
{BROKEN}/wrong-type/drug.yaml:2:18: content_version: expected text, got a number (0.1); put the value in quotes
{BROKEN}/wrong-type/drug.yaml:8:16: names.brands[0].country: expected text, got true/false (False); put the value in quotes
Error: 10 problems in the content; nothing was written.
"""


def test_check_reports_every_problem_at_once():
    result = run_cli("check", "--content", BROKEN)
    assert result.returncode == 1
    assert result.stderr == EXPECTED
    assert result.stdout == ""


def test_build_reports_the_same_and_writes_nothing(tmp_path):
    result = run_cli("build", "--all", "--content", BROKEN, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr == EXPECTED
    assert not (tmp_path / "out").exists()


def test_one_broken_drug_is_reported_and_the_others_built(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    shutil.copytree(FIXTURES / "broken" / "http-url", content / "other")
    result = run_cli("build", "--all", "--content", content, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert (
        "other/drug.yaml:45:7: full_info_url.en: must be a full https:// address" in result.stderr
    )
    assert "Error: 1 drug with broken content; see above" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "testdrug" / "en").iterdir()) == [
        "card.pdf",
        "handout.pdf",
    ]
    assert not (tmp_path / "out" / "other").exists()


def test_debug_shows_the_traceback():
    result = run_cli("--debug", "check", "--content", BROKEN)
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "ContentError" in result.stderr


def test_valid_fixture_checks_clean():
    result = run_cli("check", "--content", "tests/fixtures/valid")
    assert result.returncode == 0, result.stderr
    # (Lint warnings on the bundled template translations may follow: they do not fail.)
    assert "\n1 drug checked; no problems found" in result.stdout
    assert ": error: " not in result.stderr


def test_bundled_content_checks_clean():
    result = run_cli("check")
    assert result.returncode == 0, result.stderr


def _control_drug(tmp_path, replace):
    """The valid fixture with some text replaced, in a content folder of its own."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    path = content / "testdrug" / "drug.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in replace:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return content


def test_raw_control_characters_are_file_line_col_errors(tmp_path):
    content = _control_drug(
        tmp_path,
        [
            ("# A small", "#\x00 A small"),
            ("Pretend rash", "Pretend\x07 rash"),
            ("Sample", "\x1bSample"),
        ],
    )
    for command in (["check"], ["build", "--all", "--out", tmp_path / "out"]):
        result = run_cli(*command, "--content", content, cwd=tmp_path)
        assert result.returncode == 1
        fix = (
            "is not allowed: it is invisible and cannot be printed; delete it (if your "
            "editor does not show it, retype the text around this spot)"
        )
        assert result.stderr == (
            f"content/testdrug/drug.yaml:1:2: control character U+0000 {fix}\n"
            "content/testdrug/drug.yaml:24:16: boxed_warnings[0].symptoms[1]: "
            f"control character U+0007 {fix}\n"
            "content/testdrug/drug.yaml:29:9: call_right_away[0].symptoms[0]: "
            f"control character U+001B {fix}\n"
            "Error: 3 problems in the content; nothing was written.\n"
        )
        assert not (tmp_path / "out").exists()


def test_escaped_control_character_is_reported_at_its_field(tmp_path):
    content = _control_drug(tmp_path, [("title: Tests", 'title: "Te\\x1bsts"')])
    result = run_cli("check", "--content", content, cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "content/testdrug/drug.yaml:33:12: safety_reminders[0].title: the text holds control "
        "character U+001B, written as an escape (such as \\a, \\e, \\0 or \\x07) in quotes; "
        "it cannot be printed, remove the escape\n" in result.stderr
    )


def test_control_character_in_clinic_settings(tmp_path):
    clinic = tmp_path / "clinic.yaml"
    clinic.write_text("name: River\x07side\nphone_24h: '+1 555 010 0199'\n", encoding="utf-8")
    result = run_cli(
        "build",
        "testdrug",
        "--content",
        FIXTURES / "valid",
        "--clinic",
        clinic,
        "--out",
        tmp_path / "out",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "clinic.yaml:1:12: name: control character U+0007 is not allowed"
    )
    assert result.stderr.endswith("Error: 1 problem in the clinic settings; nothing was written.\n")
    assert not (tmp_path / "out").exists()
