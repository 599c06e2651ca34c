"""Make the README pictures from a real build: page 1 of a handout, both card sides, and
the web edition's page on a phone-width screen (in Debian's Chromium).

Run with the development environment: .venv/bin/python scripts/readme_images.py
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handouts.compose import Job  # noqa: E402
from handouts.content import load_all  # noqa: E402
from handouts.locations import CONTENT_DIR  # noqa: E402
from handouts.pipeline import Pipeline  # noqa: E402
from tests.chromium import CHROMIUM, LAUNCH_ARGS  # noqa: E402

DOCS = ROOT / "docs"


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
    packet_pictures(pipeline)
    phone_screenshot(DOCS / "site-phone.png")


def packet_pictures(pipeline: Pipeline) -> None:
    """A Spanish discharge packet of both samples: its list page, and the one card that
    names both medicines (front and back)."""
    from handouts.compose import Personal
    from handouts.packet import packet_jobs

    drugs = load_all(CONTENT_DIR)
    personal = Personal(care_team="Hematología, planta 4", phone="+1 555 010 0199")
    rendered = pipeline.render_together(packet_jobs(drugs, "es", personal=personal))
    with tempfile.TemporaryDirectory() as out:
        path = Path(out) / "packet.pdf"
        path.write_bytes(rendered.pdf)
        first = ImageOps.expand(pages(path, 80)[0], border=1, fill="#888")
        front, back = (ImageOps.expand(p, border=2, fill="#888") for p in pages(path, 200)[-2:])
    card = Image.new("RGB", (front.width, front.height * 2 + 30), "white")
    card.paste(front, (0, 0))
    card.paste(back, (0, front.height + 30))
    first.save(DOCS / "packet-list-page.png", optimize=True)
    card.save(DOCS / "packet-card.png", optimize=True)
    print(f"wrote {DOCS / 'packet-list-page.png'} and {DOCS / 'packet-card.png'}")


CLINIC = ROOT / "tests" / "fixtures" / "clinic" / "clinic.yaml"
PHONE = {"width": 360, "height": 780}  # CSS pixels, as a common phone reports its screen


def phone_screenshot(target: Path) -> None:
    """The page a Spanish card printed from version 1.0.0 opens, as a phone shows it."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as out:
        site = Path(out) / "site"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "handouts",
                "site",
                "blinatumomab",
                "--lang",
                "es",
                "--lang",
                "en",
                "--clinic",
                str(CLINIC),
                "--out",
                str(site),
            ],
            check=True,
            capture_output=True,
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport=PHONE, device_scale_factor=2)
            page.goto((site / "blinatumomab/es/1.0.0/index.html").as_uri())
            page.screenshot(path=str(target))
            browser.close()
    image = Image.open(target)
    ImageOps.expand(image, border=2, fill="#888").save(target, optimize=True)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
