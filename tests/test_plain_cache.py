"""A document printed without patient details is kept whole, and made again as soon as
anything it is made from changes."""

import shutil

from handouts.compose import Job, Personal
from handouts.content import load_all
from handouts.locations import CONTENT_DIR
from handouts.pipeline import Pipeline

from .conftest import pdf_text


def test_a_kept_plain_document_follows_its_content(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    pipeline = Pipeline()

    def handout(personal=None):
        (drug,) = load_all(content, ["blinatumomab"])
        jobs = [Job(drug, "en", "handout", personal=personal)]
        return pipeline.render_together(jobs, keep_plain=True).pdf

    first = handout()
    assert handout(Personal("", "", "", None)) is first  # kept: the very same bytes
    path = content / "blinatumomab" / "drug.yaml"
    text = path.read_text()
    assert "Cytokine release syndrome (CRS)" in text
    path.write_text(text.replace("Cytokine release syndrome (CRS)", "Cytokine storm (CRS)"))
    changed = handout()
    assert "Cytokine storm (CRS)" in pdf_text(changed)
    assert "Cytokine storm (CRS)" not in pdf_text(first)
    # A batch build does not keep them (each is made once), nor is a personalized
    # request served from what was kept without details.
    (drug,) = load_all(content, ["blinatumomab"])
    assert pipeline.render_together([Job(drug, "en", "handout")]).pdf is not changed
    assert "Ann Lee" in pdf_text(handout(Personal("Ann Lee", "", "", None)))
