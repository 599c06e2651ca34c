"""The command line as a user meets it."""

import json
import time

from .conftest import run_cli


def test_unknown_drug_exits_2_and_lists_valid_drugs(tmp_path):
    result = run_cli("build", "nosuchdrug", "--out", tmp_path)
    assert result.returncode == 2
    assert (
        "Error: Invalid value for DRUG: unknown drug 'nosuchdrug'; valid drugs: "
        "blinatumomab, inotuzumab-ozogamicin"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_language_and_kind_exit_2_with_valid_values():
    result = run_cli("build", "blinatumomab", "--lang", "xx")
    assert result.returncode == 2
    assert (
        "unknown language 'xx'; valid languages: en, es, zh-Hans, tl, fr, vi, de, ko, ru, "
        "ar, it, pt, ht, pl, hi, ja"
    ) in result.stderr
    result = run_cli("build", "blinatumomab", "--kind", "poster")
    assert result.returncode == 2
    assert "'poster' is not one of 'handout', 'card'" in result.stderr


def test_build_needs_a_drug_or_all():
    result = run_cli("build")
    assert result.returncode == 2
    assert "name at least one drug, or use --all" in result.stderr


def test_build_writes_documents_and_manifest(tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", "blinatumomab", "--lang", "en", "--kind", "card", "--out", out)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [
        (e["drug"], e["lang"], e["kind"], e["path"], e["pages"], e["status"]) for e in manifest
    ] == [("blinatumomab", "en", "card", "blinatumomab/en/card.pdf", 2, "built")]
    assert (out / "blinatumomab/en/card.pdf").read_bytes().startswith(b"%PDF-")
    assert len(manifest[0]["sha256"]) == 64
    assert not list(out.rglob("*.tmp"))


def test_build_leaves_no_temporary_files(tmp_path):
    # WeasyPrint copies the fonts into a temporary folder (8 MB); a build in a pool of
    # workers must remove it, or every nightly build leaves one more behind.
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = run_cli(
        "build",
        "blinatumomab",
        "--lang",
        "en",
        "--kind",
        "card",
        "--jobs",
        "2",
        "--out",
        tmp_path / "out",
        env={"TMPDIR": str(temp)},
    )
    assert result.returncode == 0, result.stderr

    def leftovers():  # (the fontconfig cache is kept on purpose, one per user)
        return [p.name for p in temp.iterdir() if not p.name.startswith("handouts-fontconfig-")]

    deadline = time.monotonic() + 10  # the worker server leaves just after the CLI
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftovers() == []


def test_list_shows_drugs_and_languages():
    result = run_cli("list")
    assert result.returncode == 0
    languages = (
        "en (English), es (Español), zh-Hans (中文 (简体)), tl (Filipino (Pilipinas)), "
        "fr (Français), vi (Tiếng Việt), de (Deutsch), ko (한국어), ru (Русский), "
        "ar (العربية), it (Italiano), pt (Português), ht (Kreyòl Ayisyen), "
        "pl (Polski), hi (हिन्दी), ja (日本語)"
    )
    assert result.stdout.splitlines() == [
        "blinatumomab\tBlincyto\trxnorm 1597258, 1597262, 1597267; "
        f"ndc 55513-0160-01, 55513-0160-21; atc L01FX07\t{languages}",
        "inotuzumab-ozogamicin\tBesponsa\trxnorm 1942950, 1942954, 1942959; "
        f"ndc 00008-0100-01; atc L01FB01\t{languages}",
    ]


def test_missing_content_folder_is_one_clear_error(tmp_path):
    result = run_cli("list", "--content", tmp_path / "nowhere")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: content folder ")
    assert "does not exist" in result.stderr
