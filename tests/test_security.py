"""Content is text, never markup or a template; rendering reads only bundled files."""

import shutil

import pytest

from handouts.compose import Job
from handouts.content import load_all
from handouts.fetcher import LockedFetcher, RefusedURL
from handouts.locations import FONTS_DIR

from .conftest import FIXTURES, pdf_text

HOSTILE = {
    "summary": '<img src="file:///etc/passwd"> and <script>alert(1)</script>',
    "title": "Made-up {{ 7*7 }} warning {% if true %}x{% endif %}",
}


@pytest.fixture
def hostile_drug(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", content)
    path = content / "testdrug" / "drug.yaml"
    text = path.read_text()
    text = text.replace(
        "summary: Testdrug is a made-up medicine used to test the handout builder.",
        f"summary: '{HOSTILE['summary']}'",
    )
    text = text.replace("  - title: Made-up serious warning", f"  - title: '{HOSTILE['title']}'")
    path.write_text(text)
    return load_all(content)[0]


def test_markup_and_template_syntax_in_content_print_literally(hostile_drug, pipeline):
    rendered = pipeline.render(Job(hostile_drug, "en", "handout"))
    text = pdf_text(rendered.pdf)
    assert HOSTILE["summary"] in text
    assert HOSTILE["title"] in text
    assert "49" not in text
    assert b"root:" not in rendered.pdf


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://example.org/logo.png",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        (FONTS_DIR / ".." / ".." / "etc" / "passwd").as_uri(),
        (FONTS_DIR / ".." / "pyproject.toml").resolve().as_uri(),
    ],
)
def test_fetcher_refuses_everything_but_bundled_files(url):
    with pytest.raises(RefusedURL):
        LockedFetcher().fetch(url)


def test_fetcher_serves_bundled_fonts_and_data_urls():
    font = next(FONTS_DIR.rglob("*.ttf"))
    response = LockedFetcher().fetch(font.as_uri())
    assert response.read() == font.read_bytes()
    response.close()
    response = LockedFetcher().fetch("data:text/plain,hello")
    assert response.read() == b"hello"


def test_document_naming_a_local_file_fails_the_build(pipeline, drugs, tmp_path, monkeypatch):
    # A template that tries to pull in a system file: the refusal becomes a build error.
    from handouts.errors import RenderError
    from handouts.pipeline import Pipeline

    (tmp_path / "card.html").write_text(
        '{% extends "base.html" %}{% block body %}<img src="file:///etc/passwd">{% endblock %}'
    )
    hostile = Pipeline(template_dirs=[tmp_path])
    with pytest.raises(RenderError, match="refused file:///etc/passwd"):
        hostile.render(Job(drugs[0], "en", "card"))
