"""A field too long for its place is reported as that field, in its file, with how much to
cut; `check` lays out what `build` lays out, so what check passes, build builds."""

import re
import shutil

from .conftest import FIXTURES, run_cli

CARD_TAIL = (
    "Card text is never clipped, and a translation is never cut to fit "
    "(docs/content-format.md, card)\n"
)


def _content(tmp_path, fixture="valid", yaml=(), po=()):
    """A fixture drug with text replaced in its drug.yaml and its Spanish catalogue."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / fixture / ("content" if fixture == "reviewed" else ""), content)
    for name, edits in (("drug.yaml", yaml), ("locale/es.po", po)):
        path = content / "testdrug" / name
        for old, new in edits:
            text = path.read_text(encoding="utf-8")
            assert old in text
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return content


def _cut(message: str) -> int:
    return int(re.search(r"by about (\d+) characters", message).group(1))


def test_over_long_list_item_is_named_with_its_line_in_check_and_build(tmp_path):
    # Two-column list items cannot be split across pages: one taller than a page once
    # read as "a stylesheet change broke the layout".
    item = ("Pretend rash and more words. " * 80).strip()
    content = _content(tmp_path, yaml=[("- Pretend rash", f"- {item}")])
    expected = re.compile(
        r"content/testdrug/drug\.yaml:24:9: boxed_warnings\[0\]\.symptoms\[1\]: too long for "
        rf"the en handout: it is printed as one block that cannot be split across pages, and "
        rf"at {len(item)} characters it is taller than a page \(page \d\); shorten it in the "
        rf"English master by about \d+ characters \(of {len(item)}\)"
    )
    result = run_cli("check", "--content", content, cwd=tmp_path)
    assert result.returncode == 1
    assert expected.search(result.stderr), result.stderr
    assert "stylesheet" not in result.stderr
    result = run_cli("build", "testdrug", "--content", content, "--out", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert expected.search(result.stderr), result.stderr
    assert not (tmp_path / "out" / "testdrug" / "en" / "handout.pdf").exists()
    # Cutting what the message says makes it fit.
    cut = _cut(expected.search(result.stderr).group())
    assert 0 < cut < len(item)
    shutil.rmtree(content)
    content = _content(tmp_path, yaml=[("- Pretend rash", f"- {item[: len(item) - cut]}")])
    result = run_cli("check", "--content", content, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_over_long_translation_names_the_po_entry_and_the_english(tmp_path):
    item = ("Fiebre de prueba muy larga y repetida. " * 60).strip()
    content = _content(tmp_path, "reviewed", po=[('msgstr "Fiebre de prueba"', f'msgstr "{item}"')])
    result = run_cli(
        "build",
        "testdrug",
        "--lang",
        "es",
        "--kind",
        "handout",
        "--content",
        content,
        "--out",
        "out",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert re.search(
        r"content/testdrug/locale/es\.po:44:1: boxed_warnings\[0\]\.symptoms\[0\]: too long "
        rf"for the es handout: .* and at {len(item)} characters it is taller than a page "
        rf"\(page \d\); the es text is about \d+ of its {len(item)} characters too long; a "
        r"translation is never cut to fit: shorten the English master "
        r"\(content/testdrug/drug\.yaml:23:9\) by about \d+ of its 13 characters, for every "
        r"language, and have it translated again\n",
        result.stderr,
    ), result.stderr


def test_card_overflow_names_the_biggest_field_and_how_much_to_cut(tmp_path):
    warning = ("Can cause a very long made-up reaction " * 25).strip()
    content = _content(
        tmp_path,
        yaml=[
            ("    - Can cause fixture fever\n", f"    - Can cause fixture fever\n    - {warning}\n")
        ],
    )
    result = run_cli("check", "--content", content, cwd=tmp_path)
    assert result.returncode == 1
    message = re.search(
        r"testdrug/en/card: the card front does not fit, even at the smallest card text "
        r"\(6\.5 pt\): about \d+% of its text would have to go\. card\.warnings\[1\] takes the "
        r"most space \(content/testdrug/drug\.yaml:43:7\): shorten it in the English master "
        rf"by about \d+ characters \(of {len(warning)}\)\. " + re.escape(CARD_TAIL),
        result.stderr,
    )
    assert message, result.stderr
    cut = _cut(message.group())
    shutil.rmtree(content)
    shorter = warning[: len(warning) - cut].strip()
    content = _content(
        tmp_path,
        yaml=[
            ("    - Can cause fixture fever\n", f"    - Can cause fixture fever\n    - {shorter}\n")
        ],
    )
    result = run_cli(
        "build", "testdrug", "--kind", "card", "--content", content, "--out", "out", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_brand_name_too_long_is_the_brand(tmp_path):
    brand = "Testbrandsuperlong" * 6
    content = _content(tmp_path, yaml=[("name: Testbrand", f"name: {brand}")])
    result = run_cli(
        "build", "testdrug", "--kind", "card", "--content", content, "--out", "out", cwd=tmp_path
    )
    assert result.returncode == 1
    assert re.search(
        r"testdrug/en/card: the card front does not fit, even at the smallest card text "
        r"\(6\.5 pt\): names\.brands\[0\]\.name is wider than the card "
        r"\(content/testdrug/drug\.yaml:9:13\): shorten it in the English master by about "
        rf"\d+ characters \(of {len(brand)}\)\. " + re.escape(CARD_TAIL),
        result.stderr,
    ), result.stderr
    assert "names.generic" not in result.stderr


def test_check_lays_out_every_document(tmp_path):
    # The id1 card is smaller than the us-business one: check lays out both.
    result = run_cli("check", "--content", FIXTURES / "valid", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "dist").exists()
