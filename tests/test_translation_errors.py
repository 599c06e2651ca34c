"""A translator's broken placeholder is reported at its PO file, line, language and entry."""

import shutil

import polib
import pytest

from handouts import cli, locations
from handouts.compose import Job
from handouts.content import load_all
from handouts.errors import CatalogError
from handouts.locations import TEMPLATES_DIR
from handouts.pipeline import Pipeline

from .conftest import FIXTURES, run_cli


def _content(tmp_path, old: str, new: str):
    """The reviewed fixture (English and Spanish) with one Spanish translation replaced."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "reviewed" / "content", content)
    catalog = content / "testdrug" / "locale" / "es.po"
    text = catalog.read_text(encoding="utf-8")
    assert f'msgstr "{old}"' in text
    catalog.write_text(text.replace(f'msgstr "{old}"', f'msgstr "{new}"'), encoding="utf-8")
    return content


def _template_catalogs(tmp_path, msgid: str, msgstr: str):
    """A copy of the bundled template catalogues, one Spanish entry replaced."""
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR / "locale", root / "locale")
    path = root / "locale" / "es" / "LC_MESSAGES" / "messages.po"
    po = polib.pofile(str(path), wrapwidth=0)
    po.find(msgid).msgstr = msgstr
    po.save(str(path))
    line = polib.pofile(str(path)).find(msgid).linenum
    return root, line


KEEP = "write the English's placeholders exactly as they are there: %(drug)s"
NONE = "the English has no placeholder, so the translation has none either"
PERCENT = " (a per cent sign is written %%)"

CONTENT_PROBLEM = (
    "content/testdrug/locale/es.po:{line}:1: {field}: the es translation {what}; "
    "the English has no placeholder, so the translation has none either\n"
)


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "what"),
    [
        (
            "TEST-drag",
            "TEST-drag %(drugg)s",
            12,
            "names.pronunciation",
            "has %(drugg)s, which the English does not have",
        ),
        (
            "Nada; es un elemento de prueba",
            "Nada; es un %(elemento de prueba",
            20,
            "treats.items[0]",
            "has a broken placeholder '%(elemento'",
        ),
    ],
)
def test_broken_content_placeholder_is_reported_by_check_and_build(
    tmp_path, old, new, line, field, what
):
    content = _content(tmp_path, old, new)
    expected = CONTENT_PROBLEM.format(line=line, field=field, what=what)
    result = run_cli("check", "--content", content, cwd=tmp_path)
    assert result.returncode == 1
    assert f"Error: {expected}" in result.stderr
    assert "testdrug\tes\t" not in result.stdout  # no status line for a catalogue not read
    out = tmp_path / "out"
    result = run_cli(
        "build", "testdrug", "--lang", "es", "--content", content, "--out", out, cwd=tmp_path
    )
    assert result.returncode == 1
    assert (
        result.stderr == expected + "Error: 1 problem in the translations; nothing was written.\n"
    )
    assert not out.exists()
    # The other languages are still built; the broken one is named once, not per document.
    result = run_cli("build", "testdrug", "--content", content, "--out", out, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        expected + "Error: 1 translation catalogue with broken entries (their languages were "
        "not built); see above\n"
    )
    assert sorted(p.name for p in (out / "testdrug").iterdir()) == ["en"]


@pytest.mark.parametrize(
    ("msgid", "msgstr", "what"),
    [
        (
            "I am receiving %(drug)s",
            "Estoy recibiendo %(drugg)s",
            f"has %(drugg)s, which the English does not have, and lacks %(drug)s; {KEEP}",
        ),
        (
            "I am receiving %(drug)s",
            "Estoy recibiendo el medicamento",
            f"lacks %(drug)s; {KEEP}",
        ),
        (
            "I am receiving %(drug)s",
            "Estoy recibiendo %(drug",
            f"has a broken placeholder '%(drug', and lacks %(drug)s; {KEEP}{PERCENT}",
        ),
        (
            "Show this card to any doctor, nurse or emergency staff.",
            "Muestre esta tarjeta al 100 % del personal.",
            f"has a broken placeholder '% d'; {NONE}{PERCENT}",
        ),
    ],
)
def test_broken_template_placeholder_names_file_line_language_and_entry(
    tmp_path, msgid, msgstr, what
):
    templates, line = _template_catalogs(tmp_path, msgid, msgstr)
    expected = (
        f"{templates / 'locale/es/LC_MESSAGES/messages.po'}:{line}:1: "
        f'msgid "{msgid}": the es translation {what}'
    )
    drug = load_all(FIXTURES / "reviewed" / "content")[0]
    # The library (and so the web app) refuses the language with the same message...
    with pytest.raises(CatalogError) as raised:
        Pipeline(template_dirs=[templates]).render(Job(drug, "es", "card"))
    assert str(raised.value) == expected


def test_broken_bundled_template_catalogue_stops_build_and_check(tmp_path, monkeypatch, capsys):
    """The command line reads the bundled template catalogues; a broken one is reported
    once, however many drugs and documents read it."""
    templates, line = _template_catalogs(tmp_path, "I am receiving %(drug)s", "Recibo %(drugg)s")
    monkeypatch.setattr(locations, "TEMPLATES_DIR", templates)
    monkeypatch.chdir(tmp_path)
    expected = (
        f"templates/locale/es/LC_MESSAGES/messages.po:{line}:1: "
        'msgid "I am receiving %(drug)s": the es translation has %(drugg)s, which the '
        "English does not have, and lacks %(drug)s; write the English's placeholders "
        "exactly as they are there: %(drug)s\n"
    )
    content = FIXTURES / "reviewed" / "content"
    with pytest.raises(SystemExit) as exited:
        cli.main(["build", "--all", "--lang", "es", "--content", str(content), "--out", "out"])
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        expected + "Error: 1 problem in the translations; nothing was written.\n"
    )
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", "--content", str(content)])
    assert exited.value.code == 1
    assert f"Error: {expected}" in capsys.readouterr().err
