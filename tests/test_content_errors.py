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
