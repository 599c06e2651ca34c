"""Make the README pictures from a real build: page 1 of a handout and both card sides.

Run with the development environment: .venv/bin/python scripts/readme_images.py
"""

import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image, ImageOps

from handouts.compose import Job
from handouts.content import load_all
from handouts.locations import CONTENT_DIR
from handouts.pipeline import Pipeline

DOCS = Path(__file__).resolve().parent.parent / "docs"


def pages(pdf: Path, dpi: int) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    images = [page.render(scale=dpi / 72).to_pil() for page in document]
    document.close()
    return images


def main() -> None:
    drug = load_all(CONTENT_DIR, ["blinatumomab"])[0]
    pipeline = Pipeline()
    with tempfile.TemporaryDirectory() as out:
        paths = {}
        for kind in ("handout", "card"):
            paths[kind] = Path(out) / f"{kind}.pdf"
            paths[kind].write_bytes(pipeline.render(Job(drug, "en", kind)).pdf)
        handout = ImageOps.expand(pages(paths["handout"], 80)[0], border=1, fill="#888")
        front, back = (ImageOps.expand(p, border=2, fill="#888") for p in pages(paths["card"], 200))
        card = Image.new("RGB", (front.width + back.width + 30, front.height), "white")
        card.paste(front, (0, 0))
        card.paste(back, (front.width + 30, 0))
    DOCS.mkdir(exist_ok=True)
    handout.save(DOCS / "handout-page-1.png", optimize=True)
    card.save(DOCS / "card-front-back.png", optimize=True)
    print(f"wrote {DOCS / 'handout-page-1.png'} and {DOCS / 'card-front-back.png'}")


if __name__ == "__main__":
    main()
