"""Codes in the content (RxNorm, NDC, ATC): their forms, their errors, and the commands
that find a drug by them."""

import shutil

import pytest

from handouts.codes import CodeError, drugs_with, normalize, normalize_ndc, parse_spec
from handouts.content import load_all
from handouts.locations import CONTENT_DIR

from .conftest import run_cli


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("0008-0100-01", "00008-0100-01"),  # 4-4-2
        ("55513-160-01", "55513-0160-01"),  # 5-3-2
        ("12345-6789-1", "12345-6789-01"),  # 5-4-1
        ("55513-0160-21", "55513-0160-21"),  # 5-4-2, the 11-digit form
        ("55513016021", "55513-0160-21"),  # 11 digits as billing systems send them
        ("55513-160", "55513-0160"),  # a product code, 5-3
        ("0008-0100", "00008-0100"),  # a product code, 4-4
    ],
)
def test_an_ndc_is_kept_in_its_5_4_2_form(written, kept):
    assert normalize_ndc(written) == kept


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("0008010001", "10 digits without hyphens"),
        ("123-4567-89", "is not an NDC"),
        ("55513-160-001", "is not an NDC"),
        ("5551３-160-01", "is not an NDC"),  # a full-width digit
        ("55513 160 01", "is not an NDC"),
        ("", "is not an NDC"),
    ],
)
def test_a_code_in_no_form_of_its_system_is_refused(written, why):
    with pytest.raises(CodeError, match=why):
        normalize_ndc(written)


def test_rxnorm_and_atc_forms():
    assert normalize("rxnorm", " 1597258 ") == "1597258"
    assert normalize("atc", "l01fx07") == "L01FX07"
    for system, bad in (("rxnorm", "0123"), ("rxnorm", "12a"), ("atc", "L01FX7")):
        with pytest.raises(CodeError):
            normalize(system, bad)
    assert parse_spec("NDC:55513-160-01") == ("ndc", "55513-0160-01")
    with pytest.raises(CodeError, match="SYSTEM:CODE"):
        parse_spec("snomed:123")


def test_a_package_ndc_finds_its_product_and_a_pack_size_not_listed_yet():
    drugs = load_all(CONTENT_DIR)
    # Listed packages 55513-160-01 and -21; -99 is another pack of the same product.
    for code in ("55513-0160-01", "55513-0160-99", "55513-0160"):
        assert [d.id for d in drugs_with(drugs, "ndc", code)] == ["blinatumomab"]
    assert drugs_with(drugs, "ndc", "55513-0161-01") == []
    assert [d.id for d in drugs_with(drugs, "rxnorm", "1942950")] == ["inotuzumab-ozogamicin"]


def test_the_samples_carry_their_codes_with_their_sources():
    drugs = {drug.id: drug.drug for drug in load_all(CONTENT_DIR)}
    blin, ino = drugs["blinatumomab"].codes, drugs["inotuzumab-ozogamicin"].codes
    assert blin and ino
    assert blin.ndc == ["55513-0160-01", "55513-0160-21"] and ino.ndc == ["00008-0100-01"]
    assert "1597258" in blin.rxnorm and "1942950" in ino.rxnorm
    assert blin.atc == ["L01FX07"] and ino.atc == ["L01FB01"]
    for codes in (blin, ino):
        assert all(source.url and (source.date or source.accessed) for source in codes.sources)


def test_list_shows_the_codes():
    result = run_cli("list")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("blinatumomab"))
    assert "rxnorm 1597258, 1597262, 1597267; ndc 55513-0160-01, 55513-0160-21; atc L01FX07" in line


def test_build_picks_the_drug_by_its_code(tmp_path):
    out = tmp_path / "dist"
    result = run_cli(
        "build", "--code", "ndc:0008-0100-01", "--lang", "en", "--kind", "card", "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == [
        "inotuzumab-ozogamicin/en/card.pdf"
    ]
    unknown = run_cli("build", "--code", "rxnorm:637188", "--out", out)
    assert unknown.returncode == 2
    assert "no drug in" in unknown.stderr and "rxnorm code 637188" in unknown.stderr
    bad = run_cli("build", "--code", "ndc:0008010001", "--out", out)
    assert bad.returncode == 2 and "10 digits without hyphens" in bad.stderr


def test_a_bad_code_in_the_content_is_reported_at_its_place(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "blinatumomab" / "drug.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'ndc: ["55513-160-01", "55513-160-21"]', 'ndc: ["55513-160-01", 5551316021]'
    )
    text = text.replace("atc: [L01FX07]", "atc: [L01FX7]")
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.strip().startswith("ndc:"))
    result = run_cli("check", "--content", content)
    assert result.returncode == 1
    assert f"drug.yaml:{line}:" in result.stderr
    assert (
        "codes.ndc[1]: expected text, got a number (5551316021); put the value in quotes"
        in result.stderr
    )
    assert "codes.atc[0]: 'L01FX7' is not an ATC code of a substance" in result.stderr
    assert "2 problems" in result.stderr
