"""A clinic's own templates (--templates, clinic.yaml templates:) through build, sheet and
the web app, with the locked fetcher and every check still applied."""

import io
import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from handouts.batch import InlineExecutor
from handouts.clinic import load_clinic
from handouts.compose import Job
from handouts.content import load_all
from handouts.errors import RenderError
from handouts.locations import CONTENT_DIR, TEMPLATES_DIR
from handouts.pipeline import Pipeline
from handouts.web import create_app

from .conftest import FIXTURES, pdf_text, reviewed_template_folder, run_cli, running_server

LINE = "Riverside pharmacy is open 8 am to 8 pm every day."
# A clinic's handout.html that changes one block of the bundled one: a line at the end.
HANDOUT = """{% extends "bundled/handout.html" %}
{% block body %}
{{ super() }}
<p class="clinic-line">LINE</p>
{% endblock %}
"""
TEAM_HEADING = '<h2>{{ _("My care team") }}</h2>'


def handout_folder(folder: Path, line: str = LINE, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handout.html").write_text(HANDOUT.replace("LINE", line + extra))
    return folder


def card_back_folder(folder: Path, heading: str) -> Path:
    """A clinic's copy of the card back, with its own care-team heading."""
    back = (TEMPLATES_DIR / "card_back.html").read_text()
    assert TEAM_HEADING in back
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "card_back.html").write_text(back.replace(TEAM_HEADING, f"<h2>{heading}</h2>"))
    return folder


def test_build_prints_the_clinic_block_and_rebuilds_only_when_it_changes(tmp_path):
    templates, out = handout_folder(tmp_path / "templates"), tmp_path / "out"
    build = (
        "build", "blinatumomab", "--lang", "en", "--lang", "es", "--kind", "handout",
        "--jobs", "2", "--templates", templates, "--out", out,
    )  # fmt: skip
    first = run_cli(*build)
    assert first.returncode == 0, first.stderr
    assert "2 documents: 2 built, 0 unchanged, 0 failed" in first.stdout
    # The line is added to the bundled handout, whose text is all still there.
    for lang, bundled_text in (("en", "My care team"), ("es", "Versión del contenido 1.1.0")):
        text = pdf_text((out / f"blinatumomab/{lang}/handout.pdf").read_bytes())
        assert LINE in text and bundled_text in text

    unchanged = run_cli(*build)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "2 documents: 0 built, 2 unchanged, 0 failed" in unchanged.stdout

    handout_folder(templates, "Riverside pharmacy is open 9 am to 5 pm.")
    changed = run_cli(*build)
    assert changed.returncode == 0, changed.stderr
    assert "2 documents: 2 built, 0 unchanged, 0 failed" in changed.stdout
    text = pdf_text((out / "blinatumomab/es/handout.pdf").read_bytes())
    assert "Riverside pharmacy is open 9 am to 5 pm." in text and LINE not in text

    # Without the folder the documents are the bundled ones again: built, not unchanged.
    bundled = run_cli(*build[:-4], "--out", out)
    assert "2 documents: 2 built, 0 unchanged, 0 failed" in bundled.stdout
    assert "Riverside pharmacy" not in pdf_text((out / "blinatumomab/en/handout.pdf").read_bytes())


def test_clinic_settings_name_a_folder_and_the_option_comes_first(tmp_path):
    handout_folder(tmp_path / "clinic" / "my-templates", "From the clinic folder.")
    card_back_folder(tmp_path / "clinic" / "my-templates", "Riverside team")
    settings = tmp_path / "clinic" / "clinic.yaml"
    settings.write_text(
        'name: Riverside Cancer Center\nphone_24h: "+1 555 010 0199"\ntemplates: my-templates\n'
    )
    out = tmp_path / "out"
    built = run_cli(
        "build", "blinatumomab", "--lang", "en", "--clinic", settings, "--out", out
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "From the clinic folder." in pdf_text((out / "blinatumomab/en/handout.pdf").read_bytes())
    assert "Riverside team" in pdf_text((out / "blinatumomab/en/card.pdf").read_bytes())

    # --templates is searched first: its handout.html wins, the clinic's card back stays.
    option = handout_folder(tmp_path / "option", "From the option.")
    both = run_cli(
        "build", "blinatumomab", "--lang", "en", "--clinic", settings,
        "--templates", option, "--out", out,
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    text = pdf_text((out / "blinatumomab/en/handout.pdf").read_bytes())
    assert "From the option." in text and "From the clinic folder." not in text
    assert "Riverside team" in pdf_text((out / "blinatumomab/en/card.pdf").read_bytes())


def test_sheet_uses_the_clinic_templates(tmp_path):
    templates = card_back_folder(tmp_path / "templates", "Riverside team")
    out = tmp_path / "run.pdf"
    result = run_cli(
        "sheet", "blinatumomab:en:2", "inotuzumab-ozogamicin:en:1",
        "--templates", templates, "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert pdf_text(out.read_bytes()).count("Riverside team") == 3


def test_web_api_documents_use_the_clinic_templates(tmp_path):
    templates = card_back_folder(handout_folder(tmp_path / "templates"), "Riverside team")
    client = create_app(CONTENT_DIR, InlineExecutor(), template_dirs=(templates,)).test_client()
    response = client.post(
        "/api/documents",
        json={
            "drug": "blinatumomab",
            "lang": "es",
            "kinds": ["handout", "card"],
            "personalization": {"patient_name": "Ana Pérez"},
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    text = pdf_text(response.data)
    assert LINE in text and "Riverside team" in text and "Ana Pérez" in text


def test_web_app_takes_the_folder_from_the_clinic_settings(tmp_path):
    folder = handout_folder(tmp_path / "templates")
    settings = tmp_path / "clinic.yaml"
    settings.write_text('name: Riverside\nphone_24h: "+1 555 010 0199"\ntemplates: templates\n')
    clinic = load_clinic(settings)
    assert clinic.template_dir == folder.resolve()
    client = create_app(CONTENT_DIR, InlineExecutor(), clinic).test_client()
    response = client.post("/api/documents", json={"drug": "blinatumomab", "lang": "en"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert LINE in pdf_text(response.data)


def test_web_catalog_reads_the_clinic_s_template_catalogue(tmp_path):
    # A reviewed template catalogue in the clinic's folder: the page says reviewed.
    templates = reviewed_template_folder(tmp_path / "templates")
    content = FIXTURES / "reviewed" / "content"
    for folders, reviewed in (((templates,), True), ((), False)):
        client = create_app(content, InlineExecutor(), template_dirs=folders).test_client()
        (drug,) = client.get("/api/catalog").get_json()["drugs"]
        es = next(lang for lang in drug["languages"] if lang["tag"] == "es")
        assert es["reviewed"] is reviewed


def test_serve_takes_the_templates_option(tmp_path):
    templates = handout_folder(tmp_path / "templates")
    with running_server(tmp_path, "--templates", templates) as (url, _, _):
        request = urllib.request.Request(
            url + "/api/documents",
            data=json.dumps({"drug": "blinatumomab", "lang": "en"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert LINE in pdf_text(response.read())


@pytest.fixture(scope="module")
def blinatumomab():
    return load_all(CONTENT_DIR, ["blinatumomab"])[0]


@pytest.mark.parametrize(
    "address",
    ["https://example.org/logo.png", "http://example.org/logo.png", "../../logo.png"],
)
def test_a_clinic_template_may_not_load_remote_or_outside_files(tmp_path, blinatumomab, address):
    (tmp_path / "logo.png").write_bytes((TEMPLATES_DIR / "bullet.png").read_bytes())
    templates = handout_folder(tmp_path / "templates", extra=f'<img src="{address}" alt="">')
    with pytest.raises(RenderError, match="refused .*logo.png: only bundled fonts"):
        Pipeline([templates]).render(Job(blinatumomab, "en", "handout"))


def test_a_clinic_template_loads_its_own_image_and_stylesheet(tmp_path, blinatumomab):
    templates = tmp_path / "templates"
    templates.mkdir()
    Image.new("RGB", (7, 3), "black").save(templates / "mark.png")
    (templates / "clinic.css").write_text('.clinic-line::after { content: " (open today)" }')
    handout_folder(
        templates, extra='<img src="mark.png" alt=""><link rel="stylesheet" href="clinic.css">'
    )
    pdf = Pipeline([templates]).render(Job(blinatumomab, "en", "handout")).pdf
    assert f"{LINE} (open today)" in pdf_text(pdf)
    sizes = {
        (image.image.width, image.image.height)
        for page in PdfReader(io.BytesIO(pdf)).pages
        for image in page.images
    }
    assert (7, 3) in sizes


def test_a_character_outside_the_fonts_in_a_clinic_template_stops_the_build(tmp_path, blinatumomab):
    templates = handout_folder(tmp_path / "templates", "Open every day \U0001f9a0")
    with pytest.raises(RenderError, match="U\\+1F9A0"):
        Pipeline([templates]).render(Job(blinatumomab, "en", "handout"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{{ opening_hours }}", "'opening_hours' is undefined"),
        ("{{ 7 // 0 }}", "ZeroDivisionError: integer division or modulo by zero"),
    ],
)
def test_an_error_in_a_clinic_template_names_its_file_and_line(
    tmp_path, blinatumomab, line, message
):
    templates = handout_folder(tmp_path / "templates", line)
    with pytest.raises(RenderError) as raised:
        Pipeline([templates]).render(Job(blinatumomab, "en", "handout"))
    assert str(raised.value) == (
        f"blinatumomab/en/handout: {templates / 'handout.html'}:4: template error: {message}"
    )


def test_a_syntax_error_stops_the_command_before_anything_is_written(tmp_path):
    templates = handout_folder(tmp_path / "templates", "{{ opening_hours }")
    for command in (
        ("build", "blinatumomab", "--out", tmp_path / "out"),
        ("sheet", "blinatumomab:en", "--out", tmp_path / "out" / "run.pdf"),
    ):
        result = run_cli(*command, "--templates", templates, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr == (
            "Error: templates/handout.html:4: template syntax error: unexpected '}'; fix the "
            "template, and see the clinic templates section of README.md\n"
        )
        assert not (tmp_path / "out").exists()


def test_a_missing_folder_is_one_clear_error(tmp_path):
    result = run_cli("build", "blinatumomab", "--templates", tmp_path / "nowhere")
    assert result.returncode == 2
    assert "Invalid value for '--templates': Directory" in result.stderr
    assert "does not exist" in result.stderr
    settings = tmp_path / "clinic.yaml"
    settings.write_text('name: Riverside\nphone_24h: "+1 555 010 0199"\ntemplates: nowhere\n')
    (tmp_path / "file").write_text("")
    result = run_cli("build", "blinatumomab", "--clinic", settings, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "clinic.yaml:3:12: templates: folder nowhere not found; give the templates folder's "
        "path relative to this file\n"
        "Error: 1 problem in the clinic settings; nothing was written.\n"
    )
    settings.write_text(settings.read_text().replace("nowhere", "file"))
    result = run_cli("build", "blinatumomab", "--clinic", settings, cwd=tmp_path)
    assert "clinic.yaml:3:12: templates: 'file' is a file; name the folder" in result.stderr


def test_a_copy_of_the_bundled_templates_is_a_valid_folder(tmp_path, blinatumomab):
    # Every bundled template copied over: the same PDF (the folder takes nothing away).
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, templates, ignore=shutil.ignore_patterns("web", "locale"))
    job = Job(blinatumomab, "fr", "card")
    assert Pipeline([templates]).render(job).pdf == Pipeline().render(job).pdf
