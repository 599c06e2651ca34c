"""The README's "Adding a drug" steps, exactly as written, on a new drug in a new content
folder outside the repository."""

import hashlib
import shutil

from handouts.locations import PACKAGE_DIR

from .conftest import FIXTURES, run_cli


def _package_catalogues() -> dict[str, str]:
    """Digest of every template catalogue (and the POT) bundled with handouts."""
    locale = PACKAGE_DIR / "templates" / "locale"
    return {
        str(path.relative_to(locale)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(locale.rglob("*.po*"))
    }


def test_adding_a_drug_as_the_readme_says(tmp_path):
    content = tmp_path / "content"
    # Steps 1-2: a folder for the drug, and its drug.yaml.
    (content / "newdrug").mkdir(parents=True)
    text = (FIXTURES / "valid" / "testdrug" / "drug.yaml").read_text(encoding="utf-8")
    (content / "newdrug" / "drug.yaml").write_text(
        text.replace("generic: testdrug", "generic: newdrug"), encoding="utf-8"
    )
    before = _package_catalogues()
    # Step 3.
    result = run_cli("check", "newdrug", "--content", content, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 drug checked; no problems found" in result.stdout
    # Step 4: one catalogue per language for the translators, and nothing else written.
    result = run_cli("i18n", "update", "newdrug", "--content", content, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "created content/newdrug/locale/es.po: 19 new, 0 stale, 0 obsolete" in result.stdout
    assert "templates" not in result.stdout
    assert len(list((content / "newdrug" / "locale").glob("*.po"))) == 15
    assert _package_catalogues() == before
    # Step 5: the English documents; the untranslated languages are skipped, and said so.
    result = run_cli("build", "newdrug", "--content", content, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 documents: 2 built, 0 unchanged, 0 failed" in result.stdout
    assert result.stderr == (
        "newdrug: skipped es, zh-Hans, tl, fr, vi, de, ko, ru, ar, it, pt, ht, pl, hi, ja: "
        "not translated yet (nothing in their catalogues is translated)\n"
    )
    assert sorted(p.name for p in (tmp_path / "dist" / "newdrug").iterdir()) == ["en"]
    assert sorted(p.name for p in (tmp_path / "dist" / "newdrug" / "en").iterdir()) == [
        "card.pdf",
        "handout.pdf",
    ]
    result = run_cli("list", "--content", content, cwd=tmp_path)
    assert result.stdout == (
        "newdrug\tTestbrand\tno codes\ten (English)\tnot translated yet: es, zh-Hans, tl, fr, "
        "vi, de, ko, ru, ar, it, pt, ht, pl, hi, ja\n"
    )
    # Once a translator has started, the language is built (and fails until complete:
    # a translation that lags behind the English is never printed).
    catalog = content / "newdrug" / "locale" / "es.po"
    catalog.write_text(
        catalog.read_text(encoding="utf-8").replace(
            'msgid "TEST-drug"\nmsgstr ""', 'msgid "TEST-drug"\nmsgstr "TEST-drag"'
        ),
        encoding="utf-8",
    )
    result = run_cli("build", "newdrug", "--content", content, cwd=tmp_path)
    assert result.returncode == 1
    assert "newdrug [es]: summary has no translation" in result.stderr
    assert "skipped es," not in result.stderr


def test_i18n_update_of_another_content_folder_leaves_the_package_alone(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    before = _package_catalogues()
    result = run_cli("i18n", "update", "--content", content, "--lang", "es", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "created content/testdrug/locale/es.po: 19 new, 0 stale, 0 obsolete\n"
    assert _package_catalogues() == before
    result = run_cli("i18n", "update", "--templates", "--content", content, cwd=tmp_path)
    assert result.returncode == 2
    assert "--templates updates handouts' own template catalogues" in result.stderr
    assert _package_catalogues() == before


def test_template_pot_is_rewritten_only_when_a_message_changes(tmp_path):
    from handouts.template_strings import extract_messages, write_template_pot

    pot = tmp_path / "messages.pot"
    write_template_pot(extract_messages(), pot)
    first = pot.read_bytes().replace(b"POT-Creation-Date: ", b"POT-Creation-Date: 1999 ")
    pot.write_bytes(first)  # as if written on another day
    write_template_pot(extract_messages(), pot)
    assert pot.read_bytes() == first
    write_template_pot([*extract_messages(), (None, "A new message")], pot)
    assert b'msgid "A new message"' in pot.read_bytes()
