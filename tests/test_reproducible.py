"""Same inputs, same bytes."""

from handouts.pipeline import Pipeline

from .conftest import build_all


def test_two_builds_give_identical_pdfs(tmp_path, drugs, letter_build):
    first_out, first = letter_build
    # A fresh pipeline (new font configuration and stylesheets) must not change a byte.
    second = build_all(drugs, tmp_path, Pipeline())
    assert [(b.path, b.sha256) for b in first] == [(b.path, b.sha256) for b in second]
    for built in second:
        assert (tmp_path / built.path).read_bytes() == (first_out / built.path).read_bytes()
